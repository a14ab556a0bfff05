/** A user's public profile, as stored in SQLite and cached in the TieredCache. */
export interface UserProfile {
  id: number;
  name: string;
  avatar: string;
  level: number;
  bio: string;
}

/** The cache key of user `id`'s profile. */
export function profileKey(id: number): string {
  return `user:${id}`;
}

/** The user id in a key made by {@link profileKey}, or NaN. */
export function idFromProfileKey(key: string): number {
  return key.startsWith('user:') ? Number(key.slice(5)) : Number.NaN;
}
