import { InvalidOptionError } from 'tiercache/errors';
import { Rendezvous } from './rendezvous.ts';

/**
 * This node's view of the cluster: its own URL, and which node owns each rid. With no node list
 * (or a list of one) this node owns everything and nothing is ever forwarded.
 */
export class NodeRing {
  readonly self: string;
  #rendezvous: Rendezvous | undefined;

  constructor(self: string, nodes: readonly string[]) {
    this.self = self;
    if (nodes.length > 1 || (nodes.length === 1 && nodes[0] !== self)) {
      if (!nodes.includes(self)) {
        throw new InvalidOptionError(
          'NODES',
          `this node (${self}) is not in the node list (${nodes.join(', ')}); set NODE_URL to its entry`,
        );
      }
      this.#rendezvous = new Rendezvous(nodes);
    }
  }

  /** Every node, this one included. */
  get nodes(): readonly string[] {
    return this.#rendezvous?.nodes ?? [this.self];
  }

  /** The node that owns `rid`. */
  owner(rid: string): string {
    return this.#rendezvous?.owner(rid) ?? this.self;
  }

  /** Whether this node owns `rid`. */
  owns(rid: string): boolean {
    return this.owner(rid) === this.self;
  }
}
