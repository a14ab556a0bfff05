import { SEAT_COUNT } from './messages.ts';

/** A chat line kept in the room's recent history. */
export interface ChatLine {
  userId: number;
  text: string;
  at: number;
}

/**
 * What an acknowledged message changed, as the log records it: outcomes, not inputs (the dice
 * value rolled, the time a line was said), so replaying the log rebuilds the same room.
 * `ignored`: a chat, dice or dry ice from someone not in the room, logged for its key only.
 */
export type RoomChange =
  | { type: 'join'; userId: number; at: number }
  | { type: 'leave'; userId: number }
  | { type: 'seat'; userId: number; seat: number }
  | { type: 'unseat'; userId: number }
  | { type: 'chat'; userId: number; text: string; at: number }
  | { type: 'dice'; userId: number; value: number; at: number }
  | { type: 'dry-ice'; userId: number; durationMs: number; until: number }
  | { type: 'ignored'; of: string; userId: number };

/** An event a change makes the room broadcast: its type and fields. */
export interface ChangeEvent {
  type: string;
  fields: Record<string, unknown>;
}

/** The serialised form of a {@link RoomState} (a snapshot). */
export interface RoomStateJson {
  members: [number, number][];
  seats: (number | null)[];
  chat: ChatLine[];
  dryIce: { by: number; until: number } | null;
  lastDice: { userId: number; value: number; at: number } | null;
  ignored: number;
}

const CHAT_HISTORY = 50;

/**
 * The state of one DJ room (members, seats, recent chat, dry ice, last dice) and the one
 * function that changes it, {@link apply}: the live room and the replay of the log on a new
 * owner go through the same code, so both end in the same room.
 */
export class RoomState {
  /** userId -> joinedAt */
  readonly members = new Map<number, number>();
  readonly seats: (number | null)[] = new Array(SEAT_COUNT).fill(null);
  readonly chat: ChatLine[] = [];
  dryIce: { by: number; until: number } | null = null;
  lastDice: { userId: number; value: number; at: number } | null = null;
  ignored = 0;

  /** Rebuilds a room from a snapshot. */
  static fromJson(json: RoomStateJson): RoomState {
    const state = new RoomState();
    for (const [userId, at] of json.members) state.members.set(userId, at);
    for (let i = 0; i < SEAT_COUNT; i++) state.seats[i] = json.seats[i] ?? null;
    state.chat.push(...json.chat.slice(-CHAT_HISTORY));
    state.dryIce = json.dryIce;
    state.lastDice = json.lastDice;
    state.ignored = json.ignored;
    return state;
  }

  /** The room as a snapshot. */
  toJson(): RoomStateJson {
    return {
      members: [...this.members],
      seats: [...this.seats],
      chat: [...this.chat],
      dryIce: this.dryIce,
      lastDice: this.lastDice,
      ignored: this.ignored,
    };
  }

  /** Applies `change` and returns the events it makes the room broadcast (none for replays' sake). */
  apply(change: RoomChange): ChangeEvent[] {
    switch (change.type) {
      case 'join':
        if (this.members.has(change.userId)) return [];
        this.members.set(change.userId, change.at);
        return [{ type: 'joined', fields: { userId: change.userId } }];
      case 'leave': {
        if (!this.members.delete(change.userId)) return [];
        const events = this.#vacate(change.userId);
        events.push({ type: 'left', fields: { userId: change.userId } });
        return events;
      }
      case 'seat': {
        if (this.seats[change.seat] === change.userId) return [];
        const events = this.#vacate(change.userId);
        this.seats[change.seat] = change.userId;
        events.push({ type: 'seated', fields: { userId: change.userId, seat: change.seat } });
        return events;
      }
      case 'unseat':
        return this.#vacate(change.userId);
      case 'chat': {
        const line = { userId: change.userId, text: change.text, at: change.at };
        this.chat.push(line);
        if (this.chat.length > CHAT_HISTORY) this.chat.shift();
        return [{ type: 'chat', fields: { ...line } }];
      }
      case 'dice':
        this.lastDice = { userId: change.userId, value: change.value, at: change.at };
        return [{ type: 'dice', fields: { ...this.lastDice } }];
      case 'dry-ice':
        this.dryIce = { by: change.userId, until: change.until };
        return [
          { type: 'dry-ice', fields: { userId: change.userId, durationMs: change.durationMs } },
        ];
      case 'ignored':
        this.ignored++;
        return [];
    }
  }

  #vacate(userId: number): ChangeEvent[] {
    const seat = this.seats.indexOf(userId);
    if (seat < 0) return [];
    this.seats[seat] = null;
    return [{ type: 'unseated', fields: { userId, seat } }];
  }
}
