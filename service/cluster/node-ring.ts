import { InvalidOptionError } from 'tiercache/errors';
import { Rendezvous } from './rendezvous.ts';

/**
 * This node's view of the cluster: its own URL, and which node owns each rid. The members are
 * the static node list (`NODES`) or, with membership on, the live members as last heard from
 * Redis ({@link setMembers}). With no list (or a list of one) this node owns everything.
 */
export class NodeRing {
  readonly self: string;
  #rendezvous: Rendezvous | undefined;
  #dynamic = false;

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

  /**
   * Whether a request signed with the cluster secret as coming from `node` is from a peer: with a
   * static list, a node of the list; with live members, any other node, since a node that just
   * joined forwards before every peer has seen it join (the signature is the credential).
   */
  isPeer(node: string): boolean {
    if (node === this.self) return false;
    return this.#dynamic || this.nodes.includes(node);
  }

  /** Replaces the members (this node is added if missing): ownership follows at once. */
  setMembers(nodes: readonly string[]): void {
    this.#dynamic = true;
    const members = [...new Set([...nodes, this.self])];
    this.#rendezvous = members.length > 1 ? new Rendezvous(members) : undefined;
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
