import type { AddTemplateInput } from '../domain/addTemplateInput.js';
import type {
  Location,
  Organization,
  Template,
  TemplateEvent,
  User,
} from '../domain/types.js';

/** A stored event with its position in the store's event log. */
export interface StoredEvent {
  /** Monotonic position; the postgres bus catches up from it. */
  readonly sequence: number;
  readonly event: TemplateEvent;
}

/**
 * Persistence for organisations, users, templates and the event log. The
 * PostgreSQL implementation serves every environment; the in-memory one is
 * for unit tests.
 */
export interface Store {
  getUser(id: string): Promise<User | null>;
  getOrganization(id: string): Promise<Organization | null>;
  getLocation(id: string): Promise<Location | null>;
  listLocationsOfOrganization(organizationId: string): Promise<Location[]>;

  /**
   * Writes the template and its event in one transaction, after checking
   * that every location exists (BAD_USER_INPUT naming the unknown ones) and
   * is within the author's reach (FORBIDDEN). A rejected input writes nothing.
   *
   * @throws DomainError BAD_USER_INPUT, FORBIDDEN or UNAUTHENTICATED (no such
   * author).
   */
  addTemplate(
    authorId: string,
    input: AddTemplateInput,
  ): Promise<TemplateEvent>;

  /**
   * The newest `limit` templates `viewer` may see by the share rule, newest
   * first.
   */
  listVisibleTemplates(viewer: User, limit: number): Promise<Template[]>;

  /** The template when `viewer` may see it, else null. */
  getVisibleTemplate(
    viewer: User,
    templateId: string,
  ): Promise<Template | null>;

  /** One event by id, for buses that carry only the id. */
  getEvent(eventId: string): Promise<StoredEvent | null>;

  /** Events after `sequence`, oldest first, for catching up after a gap. */
  listEventsAfter(sequence: number, limit: number): Promise<StoredEvent[]>;

  /** The newest event's sequence, or 0 when there is none. */
  latestEventSequence(): Promise<number>;

  /**
   * The lowest sequence among events written at or after `since` (their
   * createdAt), or null when there is none: where the pubsub bus starts
   * catching up after a detachment.
   */
  firstEventSequenceSince(since: Date): Promise<number | null>;

  /**
   * Outbox: records that the bus accepted the event. Events left unmarked
   * (the publish failed, or the pod died between commit and publish) are
   * published again by the outbox relay; buses drop the duplicates.
   */
  markEventPublished(eventId: string): Promise<void>;

  /** Unpublished events written before `writtenBefore`, oldest first. */
  listUnpublishedEvents(
    writtenBefore: Date,
    limit: number,
  ): Promise<StoredEvent[]>;

  /** Resolves when the store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;

  close(): Promise<void>;
}
