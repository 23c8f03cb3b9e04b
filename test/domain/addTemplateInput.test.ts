import { DomainError } from '../../src/domain/DomainError.js';
import {
  SHARE_LOCATIONS_MAX,
  TEMPLATE_NAME_MAX_LENGTH,
  validateAddTemplateInput,
} from '../../src/domain/addTemplateInput.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';

/** The DomainError `run` throws; fails the test when it throws nothing. */
function thrownBy(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('validateAddTemplateInput', () => {
  it('trims the name and the ids and drops repeated ids, keeping their order', () => {
    expect(
      validateAddTemplateInput({
        name: '  Weekly checklist ',
        shareLocationIds: ['location-3', ' location-1', 'location-3 '],
      }),
    ).toEqual({
      name: 'Weekly checklist',
      shareLocationIds: ['location-3', 'location-1'],
    });
  });

  it.each([
    ['empty', ''],
    ['blank', '   \t'],
    ['too long', 'x'.repeat(TEMPLATE_NAME_MAX_LENGTH + 1)],
  ])('refuses a name that is %s as BAD_USER_INPUT on name', (_, name) => {
    const error = thrownBy(() =>
      validateAddTemplateInput({ name, shareLocationIds: ['location-1'] }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.details).toEqual({ field: 'name' });
  });

  it('accepts a name of exactly the maximum length', () => {
    const name = 'x'.repeat(TEMPLATE_NAME_MAX_LENGTH);
    expect(
      validateAddTemplateInput({ name, shareLocationIds: ['location-1'] }).name,
    ).toBe(name);
  });

  it.each([
    ['no locations', []],
    [
      'too many distinct locations',
      Array.from(
        { length: SHARE_LOCATIONS_MAX + 1 },
        (_, index) => `location-${index}`,
      ),
    ],
    ['an empty id', ['location-1', '  ']],
  ])('refuses %s as BAD_USER_INPUT on shareLocationIds', (_, ids) => {
    const error = thrownBy(() =>
      validateAddTemplateInput({ name: 'T', shareLocationIds: ids }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.details).toEqual({ field: 'shareLocationIds' });
  });

  it('counts repeated ids once against the maximum', () => {
    const ids = [
      ...Array.from(
        { length: SHARE_LOCATIONS_MAX },
        (_, index) => `location-${index}`,
      ),
      'location-0',
    ];
    expect(
      validateAddTemplateInput({ name: 'T', shareLocationIds: ids })
        .shareLocationIds,
    ).toHaveLength(SHARE_LOCATIONS_MAX);
  });
});
