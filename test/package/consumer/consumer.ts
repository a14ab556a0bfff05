// Type-checked with tsc against the installed package's declarations (module NodeNext), as a
// TypeScript user's code would be: every subpath resolves and the public types line up.
import { Redis } from 'ioredis';
import { type Loader, MemoryStore, TieredCache, type TieredCacheOptions } from 'tiercache';
import { createDiagnosticsHandler, type DiagnosticsHandlerOptions } from 'tiercache/diagnostics';
import { type ErrorCode, ErrorCodes, TiercacheError } from 'tiercache/errors';
import { KeyvMemoryStore } from 'tiercache/keyv';
import type { MemoryStoreOptions } from 'tiercache/memory';

interface User {
  id: string;
  name: string;
}

const load: Loader<User> = async (ids) => new Map(ids.map((id) => [id, { id, name: id }]));
const options: TieredCacheOptions<User> = { name: 'users', redis: new Redis(), load };
const users = new TieredCache<User>(options);
const one: Promise<User | undefined> = users.get('1');
const many: Promise<Array<User | undefined>> = users.getMany(['1', '2']);

const storeOptions: MemoryStoreOptions = { name: 'profiles', maxBytes: 2 ** 20 };
const store = new MemoryStore(storeOptions);
const stored: boolean = store.set('k', 'v');
const keyv = new KeyvMemoryStore(store);
const deleted: Promise<boolean> = keyv.delete('k');

const diagnosticsOptions: DiagnosticsHandlerOptions = { token: 'a-token-of-16-chars+' };
const handler = createDiagnosticsHandler(diagnosticsOptions);
const code: ErrorCode = ErrorCodes.ENTRY_TOO_LARGE;
const isError = (err: unknown): boolean => err instanceof TiercacheError && err.code === code;

export { deleted, handler, isError, many, one, stored };
