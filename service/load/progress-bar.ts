import type { LoadProgress } from './load-generator.ts';

const WIDTH = 30;

/** One line describing `progress`: a bar, time, actions, rate and how many were refused. */
export function progressLine(progress: LoadProgress): string {
  const done = Math.min(1, progress.elapsedMs / progress.durationMs);
  const filled = Math.round(done * WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(progress.actions / seconds) : 0;
  const { rejected, busy, failed } = progress.outcomes;
  return (
    `${bar} ${seconds.toFixed(0).padStart(4)}s/${(progress.durationMs / 1000).toFixed(0)}s ` +
    `${progress.actions.toLocaleString('en-US')} actions ${rate.toLocaleString('en-US')}/s ` +
    `rooms ${progress.roomsTouched} · refused ${rejected} · busy ${busy} · failed ${failed}`
  );
}

/**
 * Redraws the progress line in place on a terminal (every `intervalMs`), or prints a line every
 * 5 s when the output is a file or a CI log, so logs stay readable.
 */
export function startProgressBar(
  read: () => LoadProgress,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 250,
): () => void {
  const tty = stream.isTTY === true;
  let lastPrinted = 0;
  const timer = setInterval(
    () => {
      const line = progressLine(read());
      if (tty) {
        stream.write(`\r${line}\x1b[K`);
      } else if (Date.now() - lastPrinted >= 5000) {
        lastPrinted = Date.now();
        stream.write(`${line}\n`);
      }
    },
    tty ? intervalMs : 1000,
  );
  return () => {
    clearInterval(timer);
    stream.write(`${tty ? '\r' : ''}${progressLine(read())}${tty ? '\x1b[K' : ''}\n`);
  };
}
