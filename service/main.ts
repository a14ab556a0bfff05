/**
 * `npm start`: runs one node of the room service with the configuration from the environment
 * (see `config.ts`: HOST, PORT, NODES, NODE_URL, DATA_PATH, REDIS_URL, MEMBERSHIP, DATABASE_URL,
 * DEBUG_TOKEN, ...), prints its URL when ready and shuts down gracefully (leaves the members,
 * drains the rooms, writes their snapshots) on SIGINT / SIGTERM.
 *
 * @module
 */
import { startApp } from './app.ts';
import { configFromEnv } from './config.ts';

const config = configFromEnv();
const app = await startApp(config);
const where = config.redisUrl === undefined ? 'memory + SQLite' : 'memory + Redis + SQLite';
const rooms = config.databaseUrl === undefined ? 'rooms in SQLite' : 'rooms in PostgreSQL';
const members =
  config.membership === 'redis' ? `members in Redis, ${app.cluster.members().length} live` : '';
console.log(
  `room service ready (${[where, rooms, members].filter((p) => p !== '').join(', ')}, cache mode: ${config.cacheMode})`,
);
console.log(app.url);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: stop waiting for the drain
    stopping = true;
    console.log(`${signal}: draining rooms…`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  });
}
