import os from 'node:os';

import type { Population } from './population.js';

/** One measured approach at one population size. */
export interface Row {
  readonly subscribers: number;
  readonly approach: string;
  /** From the mean: what a pod sustains, pauses and all. */
  readonly eventsPerSecond: number;
  readonly meanNanosPerEvent: number;
  /** The median: steadier than the mean on a busy machine. */
  readonly medianNanosPerEvent: number;
  readonly relativeMarginPercent: number;
  readonly samples: number;
}

export const format = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((load) => format(load, 2))
    .join(' ');

export function machine(): string {
  const cpus = os.cpus();
  return (
    `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `${os.type()} ${os.release()}`
  );
}

/** Deliveries the share rule asks for, computed the plainest way. */
export function expectedDeliveries(
  subscribers: Population['subscribers'],
  events: Population['events'],
): number {
  let total = 0;
  for (const event of events) {
    const shared = new Set(event.template.shareLocationIds);
    const orgs = new Set(event.shareOrganizationIds);
    for (const s of subscribers) {
      if (s.id === event.template.createdById) continue;
      const byLocation = s.locationId !== null && shared.has(s.locationId);
      const byOrg = s.organizationId !== null && orgs.has(s.organizationId);
      if (byLocation || byOrg) total += 1;
    }
  }
  return total;
}

/** A Markdown table of `rows`, ready for docs/benchmarks.md. */
export function markdownTable(title: string, rows: readonly Row[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| subscribers | approach | events/s | ns per event, mean | ' +
      'ns per event, median | ± % (mean) | samples |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${format(row.subscribers)} | ${row.approach} | ` +
        `${format(row.eventsPerSecond)} | ${format(row.meanNanosPerEvent)} | ` +
        `${format(row.medianNanosPerEvent)} | ` +
        `${format(row.relativeMarginPercent, 1)} | ${row.samples} |`,
    ),
  ];
  return lines.join('\n');
}
