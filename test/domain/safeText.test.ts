import {
  codePointLength,
  ID_MAX_LENGTH,
  isSafeId,
  isSafeText,
} from '../../src/domain/safeText.js';

describe('isSafeText', () => {
  it.each([
    'Weekly checklist',
    'Line one\nline two\ttabbed\r\n',
    'Ünïcödé – 日本語 – עברית',
    '\u{1F600} with a joined \u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  ])('accepts %j', (text) => {
    expect(isSafeText(text)).toBe(true);
  });

  it.each([
    ['a NUL', 'a\u0000b'],
    ['an unpaired high surrogate', 'a\ud800'],
    ['an unpaired low surrogate', '\udc00b'],
    ['a bell', 'x\u0007'],
    ['an escape', '\u001b[31mred'],
    ['a DEL', 'x\u007f'],
    ['a C1 control', 'x\u0085'],
    ['only zero-width spaces', '\u200b\u200b'],
    ['only whitespace', ' \n\t'],
  ])('refuses text with %s', (_what, text) => {
    expect(isSafeText(text)).toBe(false);
  });
});

describe('isSafeId', () => {
  it('accepts ids of 1 to ID_MAX_LENGTH code units', () => {
    expect(isSafeId('location-3')).toBe(true);
    expect(isSafeId('x'.repeat(ID_MAX_LENGTH))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(ID_MAX_LENGTH + 1)],
    ['with a NUL', 'zo\u0000wi'],
    ['with a newline', 'zowi\n'],
    ['with an unpaired surrogate', 'zowi\ud800'],
  ])('refuses an id that is %s', (_what, id) => {
    expect(isSafeId(id)).toBe(false);
  });
});

describe('codePointLength', () => {
  it('counts an emoji as one character, not two code units', () => {
    expect(codePointLength('\u{1F600}'.repeat(3))).toBe(3);
    expect(codePointLength('abc')).toBe(3);
  });
});
