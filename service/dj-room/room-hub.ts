/** An event a room broadcasts to everyone watching it. */
export interface RoomEvent {
  type: string;
  rid: string;
  at: number;
  [field: string]: unknown;
}

/** Receives a room's events. */
export type RoomListener = (event: RoomEvent) => void;

/**
 * Who watches which room: WebSocket connections subscribe by rid, rooms publish. Kept apart
 * from the workers so a room stopped as idle and built again keeps its watchers.
 */
export class RoomHub {
  #listeners = new Map<string, Set<RoomListener>>();
  #published = 0;

  /** Subscribes `listener` to the events of `rid`; returns the unsubscribe function. */
  subscribe(rid: string, listener: RoomListener): () => void {
    let set = this.#listeners.get(rid);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(rid, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(rid);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(rid);
    };
  }

  /** Sends `event` to every listener of its room; a failing listener does not stop the others. */
  publish(event: RoomEvent): void {
    this.#published++;
    const set = this.#listeners.get(event.rid);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // A listener is a network connection; its own close handler cleans it up.
      }
    }
  }

  /** Listeners of `rid`. */
  watchers(rid: string): number {
    return this.#listeners.get(rid)?.size ?? 0;
  }

  /** Events published since start. */
  get published(): number {
    return this.#published;
  }
}
