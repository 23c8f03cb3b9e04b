import { DomainError } from './DomainError.js';
import { ErrorCode } from './errorCodes.js';
import {
  codePointLength,
  ID_MAX_LENGTH,
  isSafeId,
  isSafeText,
} from './safeText.js';

/** In code points, so an emoji counts as one character, as people count. */
export const TEMPLATE_NAME_MAX_LENGTH = 200;
export const SHARE_LOCATIONS_MAX = 100;

/** A validated addTemplate input: trimmed name, distinct location ids. */
export interface AddTemplateInput {
  readonly name: string;
  readonly shareLocationIds: readonly string[];
}

/**
 * Checks the shape of an addTemplate input before anything is read or
 * written. Whether the locations exist and are within the author's reach is
 * the store's to check, inside the writing transaction.
 *
 * @throws DomainError BAD_USER_INPUT naming the field.
 */
export function validateAddTemplateInput(input: {
  readonly name: string;
  readonly shareLocationIds: readonly string[];
}): AddTemplateInput {
  const name = input.name.trim();
  // The length check comes first and bounds the work of the others; a name
  // over twice the limit in code units is over it in code points too.
  const nameLength =
    name.length > 2 * TEMPLATE_NAME_MAX_LENGTH
      ? name.length
      : codePointLength(name);
  if (nameLength === 0 || nameLength > TEMPLATE_NAME_MAX_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `name must be 1 to ${TEMPLATE_NAME_MAX_LENGTH} characters after trimming`,
      { field: 'name' },
    );
  }
  if (!isSafeText(name)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      'name must have a visible character and no control characters or unpaired surrogates',
      { field: 'name' },
    );
  }

  const shareLocationIds = [
    ...new Set(input.shareLocationIds.map((id) => id.trim())),
  ];
  if (
    shareLocationIds.length === 0 ||
    shareLocationIds.length > SHARE_LOCATIONS_MAX
  ) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `shareLocationIds must name 1 to ${SHARE_LOCATIONS_MAX} distinct locations`,
      { field: 'shareLocationIds' },
    );
  }
  if (shareLocationIds.some((id) => id.length === 0)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      'shareLocationIds has an empty id',
      {
        field: 'shareLocationIds',
      },
    );
  }
  // The bad id itself is not echoed: it may be huge or unprintable.
  if (!shareLocationIds.every(isSafeId)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `shareLocationIds has an id longer than ${ID_MAX_LENGTH} characters ` +
        'or with control characters or unpaired surrogates',
      { field: 'shareLocationIds' },
    );
  }
  return { name, shareLocationIds };
}
