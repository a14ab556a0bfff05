import { setTimeout as delay } from 'node:timers/promises';
import { theilSenSlope } from '../diagnostics/theil-sen.ts';
import { CliError } from './cli-error.ts';
import {
  COMMON_OPTIONS,
  type Command,
  parseCommandArgs,
  positiveNumber,
  requestOptions,
} from './command.ts';
import { fetchBytes, type RequestOptions, redact, routeUrl } from './fetch-source.ts';
import { formatBytes, row } from './format.ts';
import type { CliIo } from './io.ts';
import { parseReport } from './memstats-command.ts';

const HELP = `Usage: tiercache watch <url> [--interval S] [--count N] [--token <token>] [--timeout S]

A live view of a process's memory: one line per poll with rss, JS heap, external and store
bytes, each with its trend per minute (Theil-Sen over the last 30 polls), until Ctrl-C.

  <url>            the debug server (http://127.0.0.1:6060) or its /debug/memstats URL
  --interval S     seconds between polls (default 2)
  --count N        stop after N polls (default: until Ctrl-C)
  --token <token>  diagnostics token (default: $TIERCACHE_DEBUG_TOKEN)
  --timeout S      seconds to wait for each poll's answer (default 15)
  -h, --help       this help
`;

/** Polls kept for the trend: a minute at the default interval. */
const TREND_WINDOW = 30;
const COLUMNS = ['rss', 'heapUsed', 'external', 'stores'] as const;
const WIDTHS = [8, 24, 24, 24, 24];

/** `tiercache watch <url>`: live memory lines with trends until Ctrl-C or `--count`. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'live view of rss / heap / external / store bytes with their trend',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('watch', argv, {
      ...COMMON_OPTIONS,
      interval: { type: 'string' },
      count: { type: 'string' },
    });
    if (values.help) return void io.stdout.write(HELP);
    const [source] = positionals;
    if (source === undefined || positionals.length > 1) {
      throw new CliError('watch: expected one <url> (see tiercache watch --help)', { usage: true });
    }
    const intervalMs = positiveNumber('watch', 'interval', values.interval, 2) * 1000;
    const count =
      values.count === undefined
        ? Number.POSITIVE_INFINITY
        : Math.floor(positiveNumber('watch', 'count', values.count, 1));
    await watch(
      routeUrl(source, '/debug/memstats'),
      { intervalMs, count, request: requestOptions('watch', values, io) },
      io,
    );
  },
};

async function watch(
  url: URL,
  options: { intervalMs: number; count: number; request: RequestOptions },
  io: CliIo,
) {
  const history: { time: number; values: number[] }[] = [];
  const header = row(['time', 'rss', 'heap used', 'external', 'stores'], WIDTHS);
  io.stdout.write(
    `watching ${redact(url)} every ${options.intervalMs / 1000} s (trend per minute; Ctrl-C to stop)\n`,
  );
  for (let polled = 0; polled < options.count && !io.signal?.aborted; polled++) {
    if (polled % 20 === 0) io.stdout.write(`${header}\n`);
    let body: Buffer;
    try {
      body = await fetchBytes(url, options.request);
    } catch (err) {
      if (io.signal?.aborted) return; // Ctrl-C during a poll ends the watch as it does between polls
      throw err;
    }
    const report = parseReport(body, url);
    const sample = {
      time: Date.parse(report.time),
      values: [
        report.memory.rss,
        report.memory.heapUsed,
        report.memory.external,
        report.stores.reservedBytes,
      ],
    };
    history.push(sample);
    if (history.length > TREND_WINDOW) history.shift();
    const cells = COLUMNS.map((_, i) => {
      const value = formatBytes(sample.values[i]!);
      if (history.length < 3) return value;
      const slope = theilSenSlope(
        history.map((h) => h.time),
        history.map((h) => h.values[i]!),
      );
      const perMinute = slope * 60_000;
      return `${value} ${perMinute >= 0 ? '+' : ''}${formatBytes(perMinute)}/m`;
    });
    io.stdout.write(`${row([report.time.slice(11, 19), ...cells], WIDTHS)}\n`);
    if (polled + 1 < options.count) await sleep(options.intervalMs, io.signal);
  }
}

/** Waits `ms`, or less when `signal` aborts; timers/promises drops its abort listener either way. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
