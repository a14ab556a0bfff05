import type { UserProfile } from './user-profile.ts';

const FIRST = [
  'Ada',
  'Bo',
  'Chen',
  'Dara',
  'Eli',
  'Fang',
  'Gus',
  'Hana',
  'Ivo',
  'Jun',
  'Kai',
  'Lin',
];
const LAST = ['Moon', 'Beat', 'Wave', 'Bass', 'Loop', 'Drop', 'Echo', 'Pulse', 'Spin', 'Vinyl'];
const GENRES = ['house', 'techno', 'disco', 'drum and bass', 'ambient', 'funk', 'jazz'];
const AVATARS = ['🎧', '🎛️', '🎤', '🎷', '🥁', '🎹', '🎸', '🎺'];

/**
 * The demo users seeded on first start: deterministic (user `id` is always the same person),
 * so load tests and the dashboard can address users by id without reading the database first.
 */
export function demoUser(id: number): UserProfile {
  const first = FIRST[id % FIRST.length]!;
  const last = LAST[Math.floor(id / FIRST.length) % LAST.length]!;
  return {
    id,
    name: `${first} ${last} ${id}`,
    avatar: AVATARS[id % AVATARS.length]!,
    level: 1 + (id % 60),
    bio: `Demo listener #${id}, here for the ${GENRES[id % GENRES.length]!}.`,
  };
}
