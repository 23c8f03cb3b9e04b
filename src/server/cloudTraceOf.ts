import type { IncomingHttpHeaders } from 'node:http';

/** Cloud Logging's field that ties a log line to a request's trace. */
export const CLOUD_TRACE_FIELD = 'logging.googleapis.com/trace';

const TRACE_ID = /^[0-9a-f]{32}$/i;

/**
 * The trace a request belongs to, as Cloud Logging names it
 * (`projects/<project>/traces/<trace id>`), from the header Google's load
 * balancer adds (`X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`) or a W3C
 * `traceparent` (`00-TRACE_ID-SPAN_ID-01`). With it, Logs Explorer shows a
 * pod's access line beside the load balancer's line for the same request.
 *
 * @returns undefined without a project or a well-formed trace id.
 */
export function cloudTraceOf(
  headers: IncomingHttpHeaders,
  projectId: string | undefined,
): string | undefined {
  if (projectId === undefined) return undefined;
  const traceId = traceIdOf(headers);
  return traceId === undefined
    ? undefined
    : `projects/${projectId}/traces/${traceId.toLowerCase()}`;
}

function traceIdOf(headers: IncomingHttpHeaders): string | undefined {
  const cloud = headers['x-cloud-trace-context'];
  if (typeof cloud === 'string') {
    const traceId = cloud.split('/')[0]?.trim();
    if (traceId !== undefined && TRACE_ID.test(traceId)) return traceId;
  }
  const parent = headers.traceparent;
  if (typeof parent === 'string') {
    const traceId = parent.trim().split('-')[1];
    if (traceId !== undefined && TRACE_ID.test(traceId)) return traceId;
  }
  return undefined;
}
