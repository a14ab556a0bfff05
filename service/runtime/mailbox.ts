/**
 * A bounded first-in first-out queue: the room worker's mailbox, the Node form of the story's
 * 500-deep Go channel. `push` refuses instead of growing once `capacity` items wait.
 */
export class Mailbox<T> {
  /** Items waiting, oldest at `#head`; slots before `#head` are already taken. */
  #items: (T | undefined)[] = [];
  #head = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** How many items wait. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends an item and returns true, or returns false (and keeps nothing) when full. */
  push(item: T): boolean {
    if (this.length >= this.capacity) return false;
    this.#items.push(item);
    return true;
  }

  /** Appends an item even when full: for the worker's own timer firings, at most one per timer. */
  pushUnbounded(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    // Drop the reference so a taken message (and its payload) can be collected at once.
    this.#items[this.#head] = undefined;
    this.#head++;
    // Compact once the taken prefix dominates: amortised O(1) and the array never keeps
    // more than twice what waits (Array#shift would be O(n) per call on a deep mailbox).
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 32 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every waiting item, oldest first. */
  drain(): T[] {
    const rest = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
