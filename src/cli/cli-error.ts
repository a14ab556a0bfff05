/**
 * A failure the CLI reports as one line and a non-zero exit: `usage` errors (bad flags, missing
 * arguments) exit 2, everything else (unreachable URL, 401, not a profile) exits 1.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { usage?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.usage ? 2 : 1;
  }

  override get name(): string {
    return 'CliError';
  }
}
