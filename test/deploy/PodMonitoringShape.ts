/**
 * A structural check of a monitoring.googleapis.com/v1 PodMonitoring, the
 * kind Managed Service for Prometheus reads. Neither kubernetes-models nor
 * @kubernetes-models/gke has a model for it, so this follows the fields and
 * rules of the v1 CustomResourceDefinition (GoogleCloudPlatform/
 * prometheus-engine, podmonitorings.monitoring.googleapis.com) that our
 * manifests can get wrong: required fields, types, known field names (the
 * API server prunes unknown ones silently) and the duration rules. It does
 * not check the authentication and TLS sub-objects beyond their names.
 */
export class PodMonitoringShape {
  constructor(private readonly object: Record<string, unknown>) {}

  validate(): void {
    const spec = this.object.spec;
    if (!isRecord(spec)) fail('spec is required');
    onlyKnown(spec, SPEC_FIELDS, 'spec');

    const selector = spec.selector;
    if (!isRecord(selector)) fail('spec.selector is required');
    onlyKnown(selector, ['matchLabels', 'matchExpressions'], 'spec.selector');
    if (selector.matchLabels !== undefined) {
      const labels = selector.matchLabels;
      if (
        !isRecord(labels) ||
        !Object.values(labels).every((value) => typeof value === 'string')
      ) {
        fail('spec.selector.matchLabels must map strings to strings');
      }
    }

    const endpoints = spec.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length < 1) {
      fail('spec.endpoints needs at least one endpoint');
    }
    if (endpoints.length > 10) fail('spec.endpoints allows at most 10');
    endpoints.forEach((endpoint: unknown, index) =>
      validateEndpoint(endpoint, `spec.endpoints[${index}]`),
    );
  }
}

const SPEC_FIELDS = [
  'endpoints',
  'filterRunning',
  'limits',
  'selector',
  'targetLabels',
];

const ENDPOINT_FIELDS = [
  'authorization',
  'basicAuth',
  'interval',
  'metricRelabeling',
  'oauth2',
  'params',
  'path',
  'port',
  'proxyUrl',
  'scheme',
  'timeout',
  'tls',
];

function validateEndpoint(endpoint: unknown, where: string): void {
  if (!isRecord(endpoint)) fail(`${where} must be an object`);
  onlyKnown(endpoint, ENDPOINT_FIELDS, where);

  const { port, interval, timeout, path, scheme } = endpoint;
  const validPort =
    (typeof port === 'number' && Number.isInteger(port) && port > 0) ||
    (typeof port === 'string' && port.length >= 1 && port.length <= 253);
  if (!validPort) fail(`${where}.port must name or number a port`);

  // Required in v1, unlike v1alpha1.
  const intervalMillis = durationMillis(interval, `${where}.interval`);
  if (intervalMillis === undefined) fail(`${where}.interval is required`);
  const timeoutMillis = durationMillis(timeout, `${where}.timeout`);
  if (timeoutMillis !== undefined && timeoutMillis > intervalMillis) {
    fail(`${where}.timeout must not exceed its interval`);
  }

  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/')))
    fail(`${where}.path must be an absolute HTTP path`);
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    fail(`${where}.scheme must be http or https`);
  }
}

/** A Prometheus duration ("30s", "1m30s", "500ms") in milliseconds. */
function durationMillis(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  const units: Readonly<Record<string, number>> = {
    y: 365 * 24 * 3_600_000,
    w: 7 * 24 * 3_600_000,
    d: 24 * 3_600_000,
    h: 3_600_000,
    m: 60_000,
    s: 1_000,
    ms: 1,
  };
  const match =
    typeof value === 'string'
      ? /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(
          value,
        )
      : null;
  if (match === null || value === '') {
    fail(`${where} must be a Prometheus duration such as 30s`);
  }
  return ['y', 'w', 'd', 'h', 'm', 's', 'ms'].reduce(
    (total, unit, index) =>
      total + Number(match[index + 1] ?? 0) * (units[unit] ?? 0),
    0,
  );
}

function onlyKnown(
  object: Record<string, unknown>,
  known: readonly string[],
  where: string,
): void {
  const unknown = Object.keys(object).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    fail(`${where} has unknown fields: ${unknown.join()}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new Error(`PodMonitoring: ${message}`);
}
