import type { RoomMessage } from '../dj-room/index.ts';
import { toErrorResponse } from '../http/http-error.ts';
import type { RoomService } from '../room-service.ts';
import { type LoadTarget, type Outcome, outcomeOf } from './load-target.ts';

/** Sends bot actions straight to a {@link RoomService} in this process (the dashboard's load button). */
export class ServiceTarget implements LoadTarget {
  #service: RoomService;

  constructor(service: RoomService) {
    this.#service = service;
  }

  send(rid: string, message: RoomMessage): Promise<Outcome> {
    return this.#run(() => this.#service.deliver(rid, message));
  }

  snapshot(rid: string): Promise<Outcome> {
    return this.#run(() => this.#service.snapshot(rid));
  }

  profile(userId: number): Promise<Outcome> {
    return this.#run(() => this.#service.profiles.one(userId));
  }

  async close(): Promise<void> {}

  async #run(action: () => Promise<unknown>): Promise<Outcome> {
    try {
      await action();
      return 'ok';
    } catch (error) {
      return outcomeOf(toErrorResponse(error).status);
    }
  }
}
