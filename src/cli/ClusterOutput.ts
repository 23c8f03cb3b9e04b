import { Writable } from 'node:stream';

import pinoPretty from 'pino-pretty';

import type { LogFormat } from '../config/config.js';

/** ANSI colours for the prefixes, one per source in turn. */
const PREFIX_COLORS = [36, 33, 35, 32, 34, 91, 96, 93] as const;

/**
 * The cluster's one output: every line, the cluster's own and each
 * instance's, prefixed with where it came from (`[instance-2] ...`), so four
 * interleaved processes stay readable. Instances always log JSON; here each
 * line is either passed on as it is or, for a terminal, prettified, so there
 * is one formatter and one colour scheme for all of them.
 */
export class ClusterOutput {
  private readonly prettify: ((line: Record<string, unknown>) => string) | null;
  private readonly colors: boolean;
  private readonly prefixWidth: number;
  private readonly prefixes = new Map<string, string>();

  constructor(options: {
    readonly format: LogFormat;
    readonly colors: boolean;
    /** Every source name, so the prefixes line up. */
    readonly sources: readonly string[];
  }) {
    this.colors = options.colors;
    this.prefixWidth = Math.max(
      ...options.sources.map((source) => source.length + 2),
    );
    this.prettify =
      options.format === 'pretty'
        ? pinoPretty.prettyFactory({
            messageKey: 'message',
            colorize: options.colors,
            translateTime: 'HH:MM:ss.l',
            singleLine: true,
            // The prefix names the instance; pid and severity are noise.
            ignore: 'pid,hostname,severity,instanceId',
          })
        : null;
    options.sources.forEach((source, index) => {
      const label = `[${source}]`.padEnd(this.prefixWidth);
      const color = PREFIX_COLORS[index % PREFIX_COLORS.length];
      this.prefixes.set(
        source,
        this.colors ? `\u001b[${color}m${label}\u001b[39m ` : `${label} `,
      );
    });
  }

  /** Writes one line `source` printed, on stdout or stderr. */
  writeLine(source: string, line: string, stream: 'stdout' | 'stderr'): void {
    const prefix =
      this.prefixes.get(source) ?? `${`[${source}]`.padEnd(this.prefixWidth)} `;
    const out = stream === 'stdout' ? process.stdout : process.stderr;
    const text = this.format(line).replace(/\n+$/, '');
    for (const part of text.split('\n')) out.write(`${prefix}${part}\n`);
  }

  /**
   * A stream for a pino logger whose JSON lines should come out here, as
   * `source`'s.
   */
  destination(source: string): Writable {
    let partial = '';
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.writeLine(source, line, 'stdout');
        callback();
      },
    });
  }

  private format(line: string): string {
    if (this.prettify === null || !line.startsWith('{')) return line;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return line;
    }
    if (typeof parsed !== 'object' || parsed === null) return line;
    return this.prettify(parsed as Record<string, unknown>);
  }
}
