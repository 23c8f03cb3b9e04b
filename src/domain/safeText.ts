/**
 * The longest id (location, user) accepted from a client, in UTF-16 code
 * units: ids are short ASCII slugs or UUIDs, and errors echo unknown ids,
 * so this also bounds the size of an error response. The event codec
 * allows ids of the same length.
 */
export const ID_MAX_LENGTH = 200;

// C0 and C1 controls other than tab, line feed and carriage return. NUL
// cannot be stored in PostgreSQL text at all; the rest only serve to hide
// or garble what a reader sees.
const CONTROL_EXCEPT_LINE_WHITESPACE = /(?![\t\n\r])\p{Cc}/u;

// Every C0 and C1 control, whitespace ones included.
const ANY_CONTROL = /\p{Cc}/u;

// A character someone can see: not whitespace and not one of the invisible
// "default ignorable" ones (zero-width spaces and joiners, bidi marks, ...).
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;

/**
 * True when `text` is fit to store and show as free text such as a template
 * name: well-formed UTF-16 (no unpaired surrogate, which PostgreSQL's UTF-8
 * and jsonb refuse), no control character but tab and line breaks, and at
 * least one visible character.
 */
export function isSafeText(text: string): boolean {
  return (
    text.isWellFormed() &&
    !CONTROL_EXCEPT_LINE_WHITESPACE.test(text) &&
    VISIBLE.test(text)
  );
}

/**
 * True when `id` could name something we store: 1 to ID_MAX_LENGTH code
 * units of well-formed UTF-16 without any control character. Anything else
 * names nothing, so callers can refuse it before asking the store (which
 * would fail on a NUL rather than answer "not found").
 */
export function isSafeId(id: string): boolean {
  return (
    id.length > 0 &&
    id.length <= ID_MAX_LENGTH &&
    id.isWellFormed() &&
    !ANY_CONTROL.test(id)
  );
}

/** Length in Unicode code points, as a person counts characters. */
export function codePointLength(text: string): number {
  return [...text].length;
}
