import { InvalidArgumentError } from 'tiercache/errors';

/**
 * A 32-bit hash of `text` (FNV-1a over UTF-16 code units, then murmur3's finaliser). FNV alone
 * clusters on inputs that differ only in their last characters, as `node + rid` pairs do; the
 * finaliser spreads those differences over every bit so owners come out evenly.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Rendezvous (highest-random-weight) hashing: each rid belongs to the node whose hash of
 * `node + rid` is highest. Every node computes the same owner from the same list, and removing
 * a node moves only the rids it owned.
 */
export class Rendezvous {
  readonly nodes: readonly string[];

  constructor(nodes: readonly string[]) {
    if (nodes.length === 0) throw new InvalidArgumentError('Rendezvous needs at least one node');
    if (new Set(nodes).size !== nodes.length) {
      throw new InvalidArgumentError(`Node list has duplicates: ${nodes.join(', ')}`);
    }
    this.nodes = [...nodes];
  }

  /** The node that owns `rid`. */
  owner(rid: string): string {
    let best = this.nodes[0]!;
    let bestScore = -1;
    for (const node of this.nodes) {
      const score = hash32(`${node}\u0000${rid}`);
      // Ties (rare with 32 bits) go to the lexically smaller node so every node agrees.
      if (score > bestScore || (score === bestScore && node < best)) {
        best = node;
        bestScore = score;
      }
    }
    return best;
  }
}
