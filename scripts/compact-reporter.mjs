// A node:test reporter for `npm test`: failures in full as they happen (the error, its cause and
// everything the failing file wrote), a heartbeat line every 30 s, then one line per test folder,
// the stderr of passing files under a label saying what it is, and the closing line
// `tests: N passed, N failed, N skipped`. `npm test -- --test-reporter=spec` gives node's own.
import { relative, sep } from 'node:path';
import { inspect } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const HEARTBEAT_MS = 30_000;
/** Lines of each passing file's stderr shown in the summary (deduplicated). */
const STDERR_LINES_PER_FILE = 4;

const rel = (file) => (file === undefined ? '(unknown file)' : relative(root, file));
/** test/memory/x.test.ts -> test/memory; test/service/load/x.test.ts -> test/service/load. */
const folderOf = (file) => rel(file).split(sep).slice(0, -1).join('/') || '.';

function formatError(error) {
  // The runner wraps the thrown error: the cause is what the test threw.
  const thrown = error?.failureType === 'testCodeFailure' && error.cause ? error.cause : error;
  return inspect(thrown, { depth: 6, colors: false })
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function duration(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export default async function* compactReporter(source) {
  const started = Date.now();
  let lastBeat = started;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  /** folder -> { files: Set, passed, failed, skipped } */
  const folders = new Map();
  /** file -> lines written to stdout/stderr */
  const output = new Map();
  const failedFiles = new Set();
  /** Names of the enclosing tests, by nesting level, per file. */
  const stacks = new Map();
  /** file -> summed duration of its top-level tests, ms */
  const fileMs = new Map();

  const folder = (file) => {
    const key = folderOf(file);
    let entry = folders.get(key);
    if (entry === undefined) {
      entry = { files: new Set(), passed: 0, failed: 0, skipped: 0 };
      folders.set(key, entry);
    }
    entry.files.add(file);
    return entry;
  };

  for await (const event of source) {
    const data = event.data ?? {};
    switch (event.type) {
      case 'test:start': {
        const stack = stacks.get(data.file) ?? [];
        stack.length = data.nesting;
        stack.push(data.name);
        stacks.set(data.file, stack);
        break;
      }
      case 'test:stdout':
      case 'test:stderr': {
        const lines = output.get(data.file) ?? [];
        lines.push({ stream: event.type.slice(5), message: data.message });
        output.set(data.file, lines);
        break;
      }
      case 'test:pass': {
        if (data.nesting === 0) {
          fileMs.set(data.file, (fileMs.get(data.file) ?? 0) + (data.details?.duration_ms ?? 0));
        }
        if (data.details?.type === 'suite') break;
        const entry = folder(data.file);
        if (data.skip || data.todo) {
          totals.skipped++;
          entry.skipped++;
        } else {
          totals.passed++;
          entry.passed++;
        }
        break;
      }
      case 'test:fail': {
        const error = data.details?.error;
        // A suite fails when a subtest did, which is already counted; a failing hook is not.
        if (data.details?.type === 'suite' && error?.failureType === 'subtestsFailed') break;
        totals.failed++;
        folder(data.file).failed++;
        failedFiles.add(data.file);
        const path = [...(stacks.get(data.file) ?? []).slice(0, data.nesting), data.name];
        yield `\n✗ FAIL ${rel(data.file)} › ${path.join(' › ')}\n${formatError(error)}\n`;
        const lines = output.get(data.file);
        if (lines?.length) {
          yield `  what ${rel(data.file)} wrote so far:\n${lines
            .map((l) => `    [${l.stream}] ${l.message.trimEnd()}`)
            .join('\n')}\n`;
        }
        break;
      }
      default:
        break;
    }
    if (Date.now() - lastBeat >= HEARTBEAT_MS) {
      lastBeat = Date.now();
      const files = [...folders.values()].reduce((n, f) => n + f.files.size, 0);
      yield `… ${duration(lastBeat - started)}: ${totals.passed} passed, ${totals.failed} failed in ${files} files so far\n`;
    }
  }

  const width = Math.max(...[...folders.keys()].map((k) => k.length), 6);
  let table = '\n';
  for (const [name, f] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    const mark = f.failed > 0 ? '✗' : '✓';
    const skipped = f.skipped > 0 ? `, ${f.skipped} skipped` : '';
    const failed = f.failed > 0 ? `, ${f.failed} FAILED` : '';
    table += `${mark} ${name.padEnd(width)}  ${String(f.files.size).padStart(3)} files  ${String(f.passed).padStart(4)} passed${failed}${skipped}\n`;
  }
  yield table;
  const slowest = [...fileMs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([file, ms]) => `${rel(file)} ${duration(ms)}`);
  if (slowest.length > 1) yield `slowest files: ${slowest.join(', ')}\n`;

  const noisy = [...output].filter(
    ([file, lines]) => !failedFiles.has(file) && lines.some((l) => l.stream === 'stderr'),
  );
  if (noisy.length > 0) {
    yield `\nstderr of passing test files: warnings and skip notices the tests provoke or print on purpose, not failures (${noisy.length} files; \`npm test -- <file>\` with \`--test-reporter=spec\` shows all of it):\n`;
    for (const [file, lines] of noisy) {
      const seen = new Set();
      for (const { stream, message } of lines) {
        if (stream !== 'stderr') continue;
        for (const raw of message.split('\n')) {
          const line = raw.replace(/^\(node:\d+\) /, '').trim();
          if (line === '' || line.startsWith('(Use `node --trace-warnings')) continue;
          seen.add(line.length > 150 ? `${line.slice(0, 147)}...` : line);
        }
      }
      const shown = [...seen].slice(0, STDERR_LINES_PER_FILE);
      const more = seen.size > shown.length ? ` (+${seen.size - shown.length} more)` : '';
      yield `  ${rel(file)}${more}\n${shown.map((l) => `    ${l}`).join('\n')}\n`;
    }
  }

  yield `\n${failedFiles.size > 0 ? `FAILED in: ${[...failedFiles].map(rel).join(', ')}\n` : ''}`;
  yield `npm test took ${duration(Date.now() - started)}\n`;
  yield `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`;
}
