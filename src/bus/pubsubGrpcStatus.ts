/**
 * The gRPC status codes the Pub/Sub driver acts on, by name. The client
 * library reports failures as errors carrying a numeric `code`.
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  UNAVAILABLE: 14,
} as const;

/** The numeric gRPC status of `err`, or undefined when it carries none. */
export function grpcStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) {
    return undefined;
  }
  return typeof err.code === 'number' ? err.code : undefined;
}
