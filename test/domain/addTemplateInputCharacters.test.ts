import { DomainError } from '../../src/domain/DomainError.js';
import {
  TEMPLATE_NAME_MAX_LENGTH,
  validateAddTemplateInput,
} from '../../src/domain/addTemplateInput.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import { ID_MAX_LENGTH } from '../../src/domain/safeText.js';

function thrownBy(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('validateAddTemplateInput, character by character', () => {
  it('counts the name in code points: the maximum in emoji passes', () => {
    const name = '\u{1F600}'.repeat(TEMPLATE_NAME_MAX_LENGTH);
    expect(
      validateAddTemplateInput({ name, shareLocationIds: ['location-1'] }).name,
    ).toBe(name);
  });

  it('refuses one emoji more than the maximum', () => {
    const name = '\u{1F600}'.repeat(TEMPLATE_NAME_MAX_LENGTH + 1);
    expect(
      thrownBy(() =>
        validateAddTemplateInput({ name, shareLocationIds: ['location-1'] }),
      ).details,
    ).toEqual({ field: 'name' });
  });

  it.each([
    ['a NUL', 'a\u0000b'],
    ['an unpaired surrogate', 'a\ud800b'],
    ['a control character', '\u202egnp.exe\u0007'],
    ['only invisible characters', '\u200b\u200b'],
  ])('refuses a name with %s as BAD_USER_INPUT on name', (_what, name) => {
    const error = thrownBy(() =>
      validateAddTemplateInput({ name, shareLocationIds: ['location-1'] }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.details).toEqual({ field: 'name' });
  });

  it('keeps line breaks and tabs inside a name', () => {
    expect(
      validateAddTemplateInput({
        name: 'Opening\n\tchecklist',
        shareLocationIds: ['location-1'],
      }).name,
    ).toBe('Opening\n\tchecklist');
  });

  it.each([
    ['a NUL', 'location-1\u0000'],
    ['an unpaired surrogate', '\udc00'],
    ['a control character', 'loc\u001bation'],
    ['more than ID_MAX_LENGTH characters', 'l'.repeat(ID_MAX_LENGTH + 1)],
  ])('refuses a location id with %s, without echoing it', (_what, id) => {
    const error = thrownBy(() =>
      validateAddTemplateInput({
        name: 'T',
        shareLocationIds: ['location-1', id],
      }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.details).toEqual({ field: 'shareLocationIds' });
    expect(error.message).not.toContain(id);
  });
});
