/** Where a command writes and how it is told to stop; the real process in `main.ts`, buffers in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Aborts long-running commands (`watch`) as Ctrl-C does. */
  signal?: AbortSignal;
}
