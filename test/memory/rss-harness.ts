// Runs test/memory/rss-child.ts in a child process and reads its RSS from outside, as `ps` or a
// dashboard would: VmRSS of /proc/PID/status. Used by the rss-*.test.ts files.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const MiB = 1024 * 1024;

/** One JSON line the child prints at each phase. */
export interface ChildPhase {
  phase: string;
  round?: number;
  committedBytes: number;
  memory: Record<string, number>;
}

/** A running rss-child.ts. */
export class RssChild {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(scenario: string, rounds: number, env: Record<string, string> = {}) {
    const script = new URL('./rss-child.ts', import.meta.url).pathname;
    this.#child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', script, scenario, String(rounds)],
      { env: { ...process.env, ...env } },
    );
    this.#child.stderr.resume();
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  /** The next phase the child reports (it then waits for {@link proceed}). */
  async phase(): Promise<ChildPhase> {
    const next = await this.#lines.next();
    if (next.done) throw new Error(`rss-child exited (code ${this.#child.exitCode})`);
    return JSON.parse(next.value) as ChildPhase;
  }

  /** Lets the child go on to its next phase. */
  proceed(): void {
    this.#child.stdin.write('next\n');
  }

  /** The child's resident set, in MiB, read from /proc/PID/status. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.#child.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    if (match === null) throw new Error('no VmRSS in /proc/PID/status');
    return Number(match[1]) / 1024;
  }

  /**
   * Polls RSS every 250 ms until it is at most `boundMiB` or `seconds` have passed; returns the
   * last reading (the caller asserts it).
   */
  async waitForRss(boundMiB: number, seconds: number): Promise<number> {
    let rss = this.rssMiB();
    for (let i = 0; i < seconds * 4 && rss > boundMiB; i++) {
      await sleep(250);
      rss = this.rssMiB();
    }
    return rss;
  }

  /** Ends the child. */
  stop(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}

/** Bytes as MiB with one decimal, for messages. */
export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

/** How long RSS may take to come back after the stores close, in seconds. */
export const COME_BACK_SECONDS = 20;

/** RSS after closing may be at most this multiple of RSS before the stores were created. */
export const COME_BACK_RATIO = 1.3;

/**
 * Runs `scenario` for `rounds` rounds and, for each, checks from outside that RSS grew by at
 * least `minGrowthMiB` while the stores were open (so the bound below means something) and came
 * back within {@link COME_BACK_RATIO} of the baseline within {@link COME_BACK_SECONDS}, with no
 * gc() or trim called by the test. Without the native helper (no reclaim of the closed stores'
 * JS objects and index tables, which wait for V8's next major GC), it checks the part the slab
 * pool guarantees: committed chunk bytes back to almost 0 and at least 70 % of the growth gone.
 */
export async function checkRssComesBack(options: {
  scenario: string;
  rounds: number;
  minGrowthMiB: number;
  nativeHelper: boolean;
  diagnostic: (message: string) => void;
  assert: {
    ok(value: unknown, message: string): void;
  };
}): Promise<void> {
  const { assert, diagnostic } = options;
  const child = new RssChild(options.scenario, options.rounds);
  try {
    const baseline = await child.phase();
    assert.ok(baseline.phase === 'baseline', `first phase ${baseline.phase}`);
    const before = child.rssMiB();
    child.proceed();
    for (let round = 1; round <= options.rounds; round++) {
      const filled = await child.phase();
      const peak = child.rssMiB();
      assert.ok(
        peak - before >= options.minGrowthMiB,
        `round ${round}: RSS grew only ${(peak - before).toFixed(0)} MiB (from ${before.toFixed(0)})`,
      );
      child.proceed();
      const closed = await child.phase();
      assert.ok(closed.phase === 'closed', `phase ${closed.phase}`);
      const bound = options.nativeHelper
        ? before * COME_BACK_RATIO
        : before + (peak - before) * 0.3;
      const after = await child.waitForRss(bound, COME_BACK_SECONDS);
      diagnostic(
        `round ${round}: RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB open ` +
          `(${mib(filled.committedBytes)} MiB of chunks), ${after.toFixed(0)} MiB after closing ` +
          `(bound ${bound.toFixed(0)} MiB, chunks ${mib(closed.committedBytes)} MiB)`,
      );
      assert.ok(
        closed.committedBytes <= 4 * MiB,
        `round ${round}: ${mib(closed.committedBytes)} MiB of chunk pages still committed`,
      );
      assert.ok(
        after <= bound,
        `round ${round}: RSS ${after.toFixed(0)} MiB after ${COME_BACK_SECONDS} s, bound ` +
          `${bound.toFixed(0)} MiB (before ${before.toFixed(0)}, open ${peak.toFixed(0)})`,
      );
      child.proceed();
    }
  } finally {
    child.stop();
  }
}
