import { DomainError } from './DomainError.js';
import { ErrorCode } from './errorCodes.js';

/** How many templates one `templates` query may return at most. */
export const TEMPLATES_PAGE_MAX = 500;

/**
 * Checks the `first` argument of `templates`.
 *
 * @throws DomainError BAD_USER_INPUT outside 1 to TEMPLATES_PAGE_MAX.
 */
export function validateTemplatesPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > TEMPLATES_PAGE_MAX) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `first must be 1 to ${TEMPLATES_PAGE_MAX}`,
      { field: 'first' },
    );
  }
  return first;
}
