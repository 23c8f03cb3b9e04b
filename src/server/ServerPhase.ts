/**
 * Where a server is in its life. It moves strictly forward:
 * starting -> started -> draining -> stopping -> stopped.
 */
export type ServerPhase =
  /** Created, Apollo starting, not yet listening. */
  | 'starting'
  /** Listening and ready for traffic. */
  | 'started'
  /** Told to stop: readiness fails, new WebSockets are refused, open ones close. */
  | 'draining'
  /** Apollo is stopping and in-flight HTTP requests finish. */
  | 'stopping'
  /** Nothing is listening or open any more. */
  | 'stopped';

/** Whether a server in `phase` should take new work (readiness, upgrades). */
export function acceptsTraffic(phase: ServerPhase): boolean {
  switch (phase) {
    case 'started':
      return true;
    case 'starting':
    case 'draining':
    case 'stopping':
    case 'stopped':
      return false;
  }
}
