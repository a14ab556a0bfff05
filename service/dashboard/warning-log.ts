/** A process warning tiercache emitted, as the dashboard shows it. */
export interface LoggedWarning {
  code: string;
  message: string;
  at: number;
}

/**
 * Keeps the last process warnings whose code starts with `TIERCACHE_` (the many-stores warning,
 * the memory-growth warning) so the dashboard can show them. Listens with
 * `process.on('warning')`, which sees every `process.emitWarning`, once started.
 */
export class WarningLog {
  #entries: LoggedWarning[] = [];
  #limit: number;
  #listener = (warning: Error & { code?: string }): void => {
    if (typeof warning.code !== 'string' || !warning.code.startsWith('TIERCACHE_')) return;
    this.#entries.push({ code: warning.code, message: warning.message, at: Date.now() });
    if (this.#entries.length > this.#limit) this.#entries.shift();
  };

  constructor(limit = 20) {
    this.#limit = limit;
  }

  /** Starts listening. */
  start(): void {
    process.on('warning', this.#listener);
  }

  /** Stops listening. */
  stop(): void {
    process.off('warning', this.#listener);
  }

  /** The warnings seen, oldest first. */
  list(): LoggedWarning[] {
    return [...this.#entries];
  }
}
