import { z } from 'zod';

import type { TemplateEvent } from './types.js';

/**
 * The largest encoded event any bus accepts. Real events are a few KiB at
 * most (100 location ids, a 200-character name); anything far larger is not
 * ours and is dropped rather than parsed.
 */
export const MAX_ENCODED_EVENT_BYTES = 64 * 1024;

const id = z.string().min(1).max(200);

const wireEvent = z.object({
  v: z.literal(1),
  id,
  template: z.object({
    id,
    name: z.string().min(1).max(1_000),
    shareLocationIds: z.array(id).max(1_000),
    createdById: id,
    createdAt: z.iso.datetime({ offset: true }),
  }),
  author: z.object({
    id,
    name: z.string().max(1_000),
    organizationId: id.nullable(),
    locationId: id.nullable(),
  }),
  shareOrganizationIds: z.array(id).max(1_000),
});

/** Why a bus message was not a template event. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/** Serialises an event for a bus. Versioned so the format can evolve. */
export function encodeTemplateEvent(event: TemplateEvent): string {
  return JSON.stringify({
    v: 1,
    id: event.id,
    template: {
      ...event.template,
      createdAt: event.template.createdAt.toISOString(),
    },
    author: event.author,
    shareOrganizationIds: event.shareOrganizationIds,
  });
}

/**
 * Parses what a bus delivered. Anything else on the topic (not JSON, the
 * wrong shape, too large) is an InvalidEventError, never a crash.
 */
export function decodeTemplateEvent(data: string | Buffer): TemplateEvent {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_ENCODED_EVENT_BYTES) {
    throw new InvalidEventError(`event of ${size} bytes exceeds the limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    throw new InvalidEventError('event is not JSON');
  }
  const parsed = wireEvent.safeParse(json);
  if (!parsed.success) {
    throw new InvalidEventError(
      `event has the wrong shape: ${parsed.error.message}`,
    );
  }
  const { template, author, shareOrganizationIds } = parsed.data;
  return {
    id: parsed.data.id,
    template: { ...template, createdAt: new Date(template.createdAt) },
    author,
    shareOrganizationIds,
  };
}
