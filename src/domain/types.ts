/** An organisation owns locations; users may belong to one. */
export interface Organization {
  readonly id: string;
  readonly name: string;
}

/** Every location belongs to exactly one organisation. */
export interface Location {
  readonly id: string;
  readonly name: string;
  readonly organizationId: string;
}

/** A user with an optional organisation and an optional location. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly organizationId: string | null;
  readonly locationId: string | null;
}

export interface Template {
  readonly id: string;
  readonly name: string;
  /** Distinct, in the order the author gave them. */
  readonly shareLocationIds: readonly string[];
  readonly createdById: string;
  readonly createdAt: Date;
}

/**
 * What crosses the bus when a template is added: the template plus what the
 * share rule and the subscription resolver need, so that no pod has to read
 * the store per subscriber.
 */
export interface TemplateEvent {
  /** Unique per event; duplicates from an at-least-once bus share it. */
  readonly id: string;
  readonly template: Template;
  /** A snapshot of the author at the time of writing. */
  readonly author: User;
  /** The organisations owning `template.shareLocationIds`, distinct. */
  readonly shareOrganizationIds: readonly string[];
}
