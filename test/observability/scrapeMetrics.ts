import parsePrometheusTextFormat, {
  type PrometheusHistogramSample,
  type PrometheusMetricFamily,
  type PrometheusSample,
} from 'parse-prometheus-text-format';

type Labels = Readonly<Record<string, string>>;

/** One GET /metrics, parsed by a real Prometheus text parser. */
export interface MetricsSnapshot {
  readonly contentType: string | null;
  readonly text: string;
  readonly families: readonly PrometheusMetricFamily[];
  /** The family called `name`; throws if there is none. */
  family(name: string): PrometheusMetricFamily;
  /**
   * The value of the counter or gauge `name` summed over the series whose
   * labels include `labels`; 0 when no series matches.
   */
  value(name: string, labels?: Labels): number;
  /**
   * Observations of the unlabelled histogram `name`. (The parser keeps
   * neither the labels nor the count of a labelled histogram's series, so
   * ours have no labels.)
   */
  histogramCount(name: string): number;
}

/** Scrapes `${baseUrl}/metrics` and parses it. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricsSnapshot> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) {
    throw new Error(`GET /metrics answered ${response.status}`);
  }
  const text = await response.text();
  return parseMetrics(text, response.headers.get('content-type'));
}

/** Parses Prometheus text; throws on anything the parser rejects. */
export function parseMetrics(
  text: string,
  contentType: string | null = null,
): MetricsSnapshot {
  const families = parsePrometheusTextFormat(text);
  const byName = new Map(families.map((family) => [family.name, family]));
  const family = (name: string) => {
    const found = byName.get(name);
    if (found === undefined) throw new Error(`no metric ${name} in /metrics`);
    return found;
  };
  const matching = (samples: readonly PrometheusSample[], labels: Labels) =>
    samples.filter((sample) =>
      Object.entries(labels).every(
        ([key, value]) => sample.labels?.[key] === value,
      ),
    );

  return {
    contentType,
    text,
    families,
    family,
    value(name, labels = {}) {
      const found = family(name);
      if (found.type !== 'COUNTER' && found.type !== 'GAUGE') {
        throw new Error(`${name} is a ${found.type}, not a counter or gauge`);
      }
      return matching(found.metrics as PrometheusSample[], labels).reduce(
        (total, sample) => total + Number(sample.value),
        0,
      );
    },
    histogramCount(name) {
      const found = family(name);
      if (found.type !== 'HISTOGRAM') {
        throw new Error(`${name} is a ${found.type}, not a histogram`);
      }
      const [series, ...more] = found.metrics as PrometheusHistogramSample[];
      if (series === undefined || more.length > 0) {
        throw new Error(`${name} should have exactly one series`);
      }
      return Number(series.count);
    },
  };
}
