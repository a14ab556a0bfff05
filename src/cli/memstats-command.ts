import type { Memstats } from '../diagnostics/memstats.ts';
import { CliError } from './cli-error.ts';
import { COMMON_OPTIONS, type Command, parseCommandArgs, requestOptions } from './command.ts';
import { fetchBytes, redact, routeUrl } from './fetch-source.ts';
import { formatBytes, formatMs, formatPercent, row } from './format.ts';

const HELP = `Usage: tiercache memstats <url> [--json] [--token <token>] [--timeout S]

Prints a process's /debug/memstats report, readable: where RSS goes (file-backed pages,
the JS heap by space, stores by creation site, Buffers, V8 malloced, the allocator, and
what is left unnamed), process and V8 memory, heap spaces, GC counts and pauses,
event-loop delay, active resources, every live MemoryStore and TieredCache, and the
LeakWatch alarms.

  <url>            the debug server (http://127.0.0.1:6060) or the full /debug/memstats URL
  --json           print the raw JSON report
  --token <token>  diagnostics token (default: $TIERCACHE_DEBUG_TOKEN)
  --timeout S      seconds to wait for the answer (default 15)
  -h, --help       this help
`;

/** `tiercache memstats <url>`: the memstats report, readable. */
export const memstatsCommand: Command = {
  name: 'memstats',
  summary: 'print a process memory report (memory, heap spaces, GC, stores, caches)',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('memstats', argv, {
      ...COMMON_OPTIONS,
      json: { type: 'boolean' },
    });
    if (values.help) return void io.stdout.write(HELP);
    const [source] = positionals;
    if (source === undefined || positionals.length > 1) {
      throw new CliError('memstats: expected one <url> (see tiercache memstats --help)', {
        usage: true,
      });
    }
    const url = routeUrl(source, '/debug/memstats');
    const body = await fetchBytes(url, requestOptions('memstats', values, io));
    const report = parseReport(body, url);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderMemstats(report));
  },
};

/** Parses a memstats body, or fails with one line when the URL did not serve one. */
export function parseReport(body: Buffer, url: URL): Memstats {
  try {
    const report = JSON.parse(body.toString('utf8')) as Memstats;
    if (typeof report.memory?.rss === 'number') return report;
  } catch {
    // fall through to the one-line error
  }
  throw new CliError(`${redact(url)} did not return a tiercache memstats report`);
}

/** Renders the report as aligned text sections. */
export function renderMemstats(m: Memstats): string {
  const lines: string[] = [];
  const b = formatBytes;
  lines.push(`pid ${m.pid}, node ${m.node}, up ${m.uptimeSeconds.toFixed(0)} s, at ${m.time}`, '');
  if (m.rss !== undefined) lines.push(...renderRss(m.rss), '');
  lines.push('Memory');
  lines.push(`  rss             ${b(m.memory.rss)}`);
  lines.push(
    `  heap used       ${b(m.memory.heapUsed)} of ${b(m.memory.heapTotal)} (limit ${b(m.heap.heapSizeLimit ?? 0)})`,
  );
  lines.push(
    `  external        ${b(m.memory.external)} (array buffers ${b(m.memory.arrayBuffers)})`,
  );
  lines.push(
    `  stores          ${b(m.stores.reservedBytes)} reserved, ${b(m.stores.usedBytes)} used`,
    '',
  );
  lines.push('Heap spaces');
  for (const s of m.heapSpaces.filter((s) => s.sizeBytes > 0)) {
    lines.push(`  ${row([s.name, b(s.usedBytes), b(s.sizeBytes)], [-26, 10, 10])} size`);
  }
  const gc = m.gc;
  lines.push('');
  lines.push(
    `GC              ${gc.count} collections, ${formatMs(gc.pauseMs)} paused (max ${formatMs(gc.maxPauseMs)})`,
  );
  for (const kind of ['minor', 'major', 'incremental', 'weakcb'] as const) {
    if (gc[kind].count > 0)
      lines.push(`  ${kind.padEnd(14)}${gc[kind].count}, ${formatMs(gc[kind].pauseMs)}`);
  }
  const d = m.eventLoopDelay;
  lines.push(
    d === undefined
      ? 'Event loop      (monitor not running)'
      : `Event loop      delay p50 ${formatMs(d.p50)}, p99 ${formatMs(d.p99)}, max ${formatMs(d.max)}`,
  );
  const r = m.resources;
  const types = Object.entries(r.byType)
    .sort((x, y) => y[1] - x[1])
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  lines.push(
    `Resources       ${r.total} active: ${r.sockets} sockets, ${r.servers} servers, ${r.timers} timers`,
  );
  if (types !== '') lines.push(`  ${types}`);
  lines.push('', `Stores          ${m.stores.count} live, ${m.stores.entries} entries`);
  if (m.stores.list.length > 0) {
    lines.push(
      `  ${row(['name', 'entries', 'used', 'reserved', 'created by'], [-20, 9, 10, 10, -1])}`,
    );
    for (const s of [...m.stores.list].sort((x, y) => y.reservedBytes - x.reservedBytes)) {
      lines.push(
        `  ${row([s.name, String(s.size), b(s.usedBytes), b(s.reservedBytes), s.createdBy], [-20, 9, 10, 10, -1])}`,
      );
    }
  }
  if ((m.stores.sites ?? []).length > 0) {
    lines.push('  by creation site');
    for (const site of m.stores.sites) {
      lines.push(`  ${row([String(site.stores), b(site.reservedBytes), site.site], [9, 10, -1])}`);
    }
  }
  for (const budget of m.budgets ?? []) {
    lines.push(
      `Budget          ${budget.name}: ${b(budget.reservedBytes)} of ${b(budget.maxBytes)} reserved by ${budget.stores} stores`,
    );
  }
  lines.push('', `Caches          ${m.caches.length} live`);
  for (const c of m.caches) {
    lines.push(`  ${c.name}`);
    for (const [group, value] of Object.entries(c.stats)) {
      if (group === 'name') continue;
      const text =
        value !== null && typeof value === 'object'
          ? Object.entries(value)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          : String(value);
      lines.push(`    ${group.padEnd(12)}${text}`);
    }
  }
  const hs = m.heapSampler;
  lines.push(
    '',
    `Heap sampler    ${hs.mode}, every ${b(hs.intervalBytes)}${hs.inuseSince ? `, since ${new Date(hs.inuseSince).toISOString()}` : ''}`,
  );
  const lw = m.leakWatch;
  if (lw !== undefined) {
    lines.push(`LeakWatch       ${lw.running} running, ${lw.alarms} alarms`);
    for (const alarm of lw.recent.slice(-5)) {
      lines.push(`  ${new Date(alarm.at).toISOString()} ${alarm.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The RSS account: one line per slice (parts indented), the derived remainder marked, the share. */
function renderRss(account: Memstats['rss']): string[] {
  const b = formatBytes;
  const lines = [
    `Where RSS goes  ${b(account.rssBytes)} resident: named ${Math.floor(account.namedShare * 100)} % of RSS (${b(account.namedBytes)})`,
  ];
  const a = account.allocator;
  if (a !== undefined) {
    lines.push(`  allocator     ${a.name}${a.version === undefined ? '' : ` ${a.version}`}`);
  }
  for (const slice of account.slices) {
    const share = formatPercent(slice.bytes, account.rssBytes);
    const mark = slice.kind === 'derived' ? ' [derived]' : '';
    lines.push(`  ${row([b(slice.bytes), share], [10, 7])}  ${slice.label}${mark}`);
    for (const part of (slice.parts ?? []).slice(0, 10)) {
      if (part.bytes <= 0) continue;
      const reserved =
        part.reservedBytes !== undefined && part.reservedBytes !== part.bytes
          ? ` of ${b(part.reservedBytes)} reserved`
          : '';
      lines.push(`  ${row([b(part.bytes)], [20])}    ${part.label}${reserved}`);
    }
  }
  if (account.mallocHeapBytes !== undefined) {
    lines.push(
      `  (malloc heaps hold ${b(account.mallocHeapBytes)} resident, named Buffers included)`,
    );
  }
  return lines;
}
