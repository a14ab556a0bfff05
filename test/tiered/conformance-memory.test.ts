import { TieredCache } from 'tiercache';
import { uniquePrefix } from '../helpers/redis.ts';
import { conformance } from './conformance-cases.ts';

conformance(
  'memory only',
  (options) => new TieredCache({ ...options, name: uniquePrefix('conf-memory'), redis: false }),
);
