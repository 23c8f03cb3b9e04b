import {
  InvalidEventError,
  MAX_ENCODED_EVENT_BYTES,
  decodeTemplateEvent,
  encodeTemplateEvent,
} from '../../src/domain/templateEventCodec.js';
import { seedEvent } from '../support/seedEvents.js';

/** An encoded seed event as a plain object, to be bent out of shape. */
function wireObject(): Record<string, unknown> {
  return JSON.parse(
    encodeTemplateEvent(seedEvent('zowi', ['location-3'])),
  ) as Record<string, unknown>;
}

describe('templateEventCodec', () => {
  it('decodes what it encodes, from a string and from a Buffer', () => {
    const event = seedEvent('zowi', ['location-3', 'location-2'], {
      createdAt: new Date('2025-06-01T12:34:56.789Z'),
    });
    const encoded = encodeTemplateEvent(event);
    expect(decodeTemplateEvent(encoded)).toEqual(event);
    expect(decodeTemplateEvent(Buffer.from(encoded))).toEqual(event);
    expect(decodeTemplateEvent(encoded).template.createdAt).toBeInstanceOf(
      Date,
    );
  });

  it('keeps a missing organisation or location as null', () => {
    for (const authorId of ['zolo', 'zewi']) {
      const event = seedEvent(authorId, ['location-3']);
      expect(decodeTemplateEvent(encodeTemplateEvent(event)).author).toEqual(
        event.author,
      );
    }
    expect(seedEvent('zolo', []).author.organizationId).toBeNull();
    expect(seedEvent('zewi', []).author.locationId).toBeNull();
  });

  it('writes a versioned format with an ISO-8601 createdAt', () => {
    const wire = wireObject();
    expect(wire.v).toBe(1);
    expect((wire.template as Record<string, unknown>).createdAt).toBe(
      '2025-01-02T03:04:05.000Z',
    );
  });

  it.each([
    ['empty input', ''],
    ['plain text', 'hello'],
    ['truncated JSON', '{"v":1,"id":'],
  ])('refuses %s as not JSON', (_, data) => {
    expect(() => decodeTemplateEvent(data)).toThrow(InvalidEventError);
    expect(() => decodeTemplateEvent(data)).toThrow('event is not JSON');
  });

  it.each<[string, (wire: Record<string, unknown>) => unknown]>([
    ['a JSON array', () => []],
    ['an unknown version', (wire) => ({ ...wire, v: 2 })],
    ['a missing id', ({ id: _id, ...rest }) => rest],
    ['an empty id', (wire) => ({ ...wire, id: '' })],
    [
      'a createdAt that is not a date',
      (wire) => ({
        ...wire,
        template: {
          ...(wire.template as object),
          createdAt: 'yesterday',
        },
      }),
    ],
    [
      'shareLocationIds that are not strings',
      (wire) => ({
        ...wire,
        template: { ...(wire.template as object), shareLocationIds: [3] },
      }),
    ],
    ['a missing author', ({ author: _author, ...rest }) => rest],
    [
      'shareOrganizationIds of null',
      (wire) => ({ ...wire, shareOrganizationIds: null }),
    ],
  ])('refuses %s as the wrong shape', (_, bend) => {
    const data = JSON.stringify(bend(wireObject()));
    expect(() => decodeTemplateEvent(data)).toThrow(InvalidEventError);
    expect(() => decodeTemplateEvent(data)).toThrow(/wrong shape/);
  });

  it('refuses an event larger than the limit without parsing it', () => {
    const wire = wireObject();
    const padding = 'x'.repeat(MAX_ENCODED_EVENT_BYTES);
    const data = JSON.stringify({ ...wire, padding });
    expect(() => decodeTemplateEvent(data)).toThrow(InvalidEventError);
    expect(() => decodeTemplateEvent(Buffer.from(data))).toThrow(
      /exceeds the limit/,
    );
  });

  it('measures the limit in bytes, not characters', () => {
    // 'é' is two bytes in UTF-8: half the limit in characters is over it.
    const data = 'é'.repeat(MAX_ENCODED_EVENT_BYTES / 2 + 1);
    expect(() => decodeTemplateEvent(data)).toThrow(/exceeds the limit/);
  });
});
