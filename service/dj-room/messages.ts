import { z } from 'zod';

/** Seats on the room's stage (the DJ booth and the mics). */
export const SEAT_COUNT = 8;

const userId = z.number().int().min(1).max(2_147_483_647);

/**
 * A client's idempotency key (printable ASCII, 1–128 characters): a message resent with the
 * same key is applied at most once, and the resend gets the first reply again.
 */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const idempotencyKey = IdempotencyKeySchema.optional();

/** Every message a user can send to a room, validated before it reaches the room's mailbox. */
export const RoomMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), userId, idempotencyKey }).strict(),
  z.object({ type: z.literal('leave'), userId, idempotencyKey }).strict(),
  z
    .object({
      type: z.literal('seat'),
      userId,
      seat: z
        .number()
        .int()
        .min(0)
        .max(SEAT_COUNT - 1),
      idempotencyKey,
    })
    .strict(),
  z.object({ type: z.literal('unseat'), userId, idempotencyKey }).strict(),
  z
    .object({
      type: z.literal('chat'),
      userId,
      text: z.string().trim().min(1).max(500),
      idempotencyKey,
    })
    .strict(),
  z.object({ type: z.literal('dice'), userId, idempotencyKey }).strict(),
  z
    .object({
      type: z.literal('dry-ice'),
      userId,
      durationMs: z.number().int().min(200).max(60_000).default(3000),
      idempotencyKey,
    })
    .strict(),
]);

/** A validated room message. */
export type RoomMessage = z.infer<typeof RoomMessageSchema>;

/** Message types answered with a reply (request/reply); the others are fire-and-forget. */
export const REQUEST_TYPES: ReadonlySet<RoomMessage['type']> = new Set([
  'join',
  'leave',
  'seat',
  'unseat',
]);

/** A room id: short, URL-safe, so it can be a path segment and a cache key part as is. */
export const RoomIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');
