// The package ships no types; this covers what the tests read.
declare module 'parse-prometheus-text-format' {
  /** One sample of a counter, gauge or untyped metric. */
  export interface PrometheusSample {
    readonly value: string;
    readonly labels?: Readonly<Record<string, string>>;
  }

  /** One labelled series of a histogram. */
  export interface PrometheusHistogramSample {
    readonly buckets: Readonly<Record<string, string>>;
    readonly count: string;
    readonly sum: string;
    readonly labels?: Readonly<Record<string, string>>;
  }

  export interface PrometheusMetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly (PrometheusSample | PrometheusHistogramSample)[];
  }

  /** Parses Prometheus text exposition; throws on malformed input. */
  export default function parsePrometheusTextFormat(
    text: string,
  ): PrometheusMetricFamily[];
}
