import { InvalidArgumentError } from 'tiercache/errors';
import {
  LoadGenerator,
  type LoadOptions,
  type LoadProgress,
  type LoadReport,
  ServiceTarget,
} from '../load/index.ts';
import type { RoomService } from '../room-service.ts';

/** The dashboard's load button: at most one simulated load at a time, in this process. */
export class LoadControl {
  #service: RoomService;
  #current: LoadGenerator | undefined;
  #running: Promise<LoadReport> | undefined;
  #lastReport: LoadReport | undefined;

  constructor(service: RoomService) {
    this.#service = service;
  }

  /** The running load's progress and the last finished run's report. */
  status(): {
    progress: LoadProgress | undefined;
    options: LoadOptions | undefined;
    last: LoadReport | undefined;
  } {
    return {
      progress: this.#current?.progress(),
      options: this.#current?.options,
      last: this.#lastReport,
    };
  }

  /** Starts a load (refused while one runs); it stops by itself after `seconds`. */
  start(options: LoadOptions): LoadProgress {
    if (this.#current !== undefined) {
      throw new InvalidArgumentError('A load is already running; stop it first');
    }
    const generator = new LoadGenerator(new ServiceTarget(this.#service), {
      users: this.#service.config.seedUsers,
      ...options,
    });
    this.#current = generator;
    this.#running = generator.run();
    this.#running
      .then((report) => {
        this.#lastReport = report;
      })
      .catch((error: unknown) => console.error('simulated load failed:', error))
      .finally(() => {
        this.#current = undefined;
        this.#running = undefined;
      });
    return generator.progress();
  }

  /** Stops the running load, if any, and waits for its bots to finish. */
  async stop(): Promise<void> {
    this.#current?.stop();
    await this.#running?.catch(() => undefined);
  }
}
