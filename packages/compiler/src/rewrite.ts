// The rewrite engine: rules are data (a name, a one-line law, a function that rewrites at one
// root node), and one driver runs a rule set over the graph to a fixed point. New nodes are
// inserted just before the root they replace, so the node list stays topologically ordered.

import {
  type Graph, type Node, OPS, type OpAttrs, type OpKind, type Value, type TensorType, producer, typesEqual, useCounts, usersOf,
} from '@smelt/ir';
import { deadCodeElimination } from './passes/dce.ts';

export class Rewriter {
  /** Use counts and users of every value: computed on first use, then kept up to date by insertBefore, setInput and replace. */
  private uses: { readonly counts: Map<Value, number>; readonly users: Map<Value, Node[]> } | undefined;

  constructor(readonly graph: Graph) {}

  private index() {
    this.uses ??= { counts: useCounts(this.graph), users: usersOf(this.graph) };
    return this.uses;
  }

  /** Count one more use of `v` by `node` (one operand slot). */
  private addUse(v: Value, node: Node): void {
    if (!this.uses) return;
    this.uses.counts.set(v, (this.uses.counts.get(v) ?? 0) + 1);
    const list = this.uses.users.get(v);
    if (!list) this.uses.users.set(v, [node]);
    else if (!list.includes(node)) list.push(node);
  }

  /** Count one use of `v` by `node` fewer (one operand slot). */
  private dropUse(v: Value, node: Node): void {
    if (!this.uses) return;
    this.uses.counts.set(v, (this.uses.counts.get(v) ?? 0) - 1);
    if (!node.inputs.includes(v)) {
      const list = this.uses.users.get(v);
      const at = list ? list.indexOf(node) : -1;
      if (at >= 0) list!.splice(at, 1);
    }
  }

  /** How many operand slots and graph outputs read `v`. */
  useCount(v: Value): number {
    return this.index().counts.get(v) ?? 0;
  }

  /** The nodes that read `v` (each once, however many of its slots read it; graph outputs are not nodes). */
  users(v: Value): readonly Node[] {
    return this.index().users.get(v) ?? [];
  }

  /** The node that reads `v`, when it is v's only use (one operand slot, not a graph output). */
  soleUser(v: Value): Node | undefined {
    return this.useCount(v) === 1 ? this.index().users.get(v)?.[0] : undefined;
  }

  /** The producer of v when it is an `op` node used only once (safe to absorb into a fusion). */
  singleUse<K extends OpKind>(v: Value, op: K): Node<K> | undefined {
    const p = producer(v);
    return p && p.op === op && this.useCount(v) === 1 ? (p as Node<K>) : undefined;
  }

  /** Insert a new node before `anchor`; its result types come from the op's rule. */
  insertBefore<K extends OpKind>(anchor: Node, op: K, inputs: Value[], attrs: OpAttrs[K]): Value[] {
    const types = OPS[op].infer(inputs.map((v) => v.type), attrs);
    const at = this.graph.nodes.indexOf(anchor);
    if (at < 0) throw new Error(`rewrite: anchor ${anchor.op} is not in the graph`);
    const node = this.graph.addNode(op, inputs, attrs, types, anchor.loc);
    this.graph.nodes.pop();
    this.graph.nodes.splice(at, 0, node as Node);
    for (const v of inputs) this.addUse(v, node as Node);
    return node.outputs;
  }

  /** Make operand `slot` of `node` read `v` (rules change operands only through this or replace). */
  setInput(node: Node, slot: number, v: Value): void {
    const old = node.inputs[slot];
    if (old === v) return;
    node.inputs[slot] = v;
    this.dropUse(old, node);
    this.addUse(v, node);
  }

  /** Replace every use of `from` with `to`; their types must be equal. */
  replace(from: Value, to: Value): void {
    if (!typesEqual(from.type, to.type)) {
      throw new Error(`rewrite: cannot replace ${fmt(from.type)} with ${fmt(to.type)}`);
    }
    if (from === to) return;
    // Only the nodes the index says read `from` (kept exact by every edit through this class): a
    // pass replaces many values, and scanning the whole graph for each made the passes quadratic.
    const { counts, users } = this.index();
    const readers = users.get(from) ?? [];
    for (const n of readers) {
      for (let i = 0; i < n.inputs.length; i++) if (n.inputs[i] === from) n.inputs[i] = to;
    }
    for (const o of this.graph.outputs) if (o.value === from) o.value = to;
    counts.set(to, (counts.get(to) ?? 0) + (counts.get(from) ?? 0));
    counts.set(from, 0);
    const into = users.get(to) ?? [];
    for (const n of readers) if (!into.includes(n)) into.push(n);
    users.set(to, into);
    users.set(from, []);
  }

  /**
   * Throw when the kept use counts differ from the graph's (a rule changed an operand without
   * setInput or replace): a rule deciding on stale counts could fuse a value that has other users.
   */
  checkUses(rules: readonly Rule[]): void {
    if (!this.uses) return;
    const fresh = useCounts(this.graph);
    const kept = this.uses.counts;
    let stale: Value | undefined;
    for (const [v, n] of fresh) if ((kept.get(v) ?? 0) !== n) stale ??= v;
    for (const [v, n] of kept) if (n !== 0 && !fresh.has(v)) stale ??= v;
    if (stale) {
      throw new Error(`rewrite: rules ${rules.map((r) => r.name).join(', ')} changed an operand without Rewriter.setInput (use counts of ${stale.name ?? 'a value'} out of date)`);
    }
  }
}

function fmt(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

export interface Rule {
  readonly name: string;
  /** The law in one line, e.g. `softmax(x * c + m) → scaled_masked_softmax(x, m) {scale = c}`. */
  readonly law: string;
  /** Try to rewrite with `node` as the root; true when the graph changed. */
  apply(node: Node, rw: Rewriter): boolean;
}

/** Run rules over every node until none applies; dead nodes are swept after each round. */
export function applyRules(g: Graph, rules: readonly Rule[], maxRounds = 100): boolean {
  let changedAny = false;
  for (let round = 0; round < maxRounds; round++) {
    const rw = new Rewriter(g);
    let changed = false;
    // Nodes are only added during a round (Rewriter removes none; dead ones go after it), so every
    // node of the round's start is still in the graph when its turn comes.
    for (const node of [...g.nodes]) {
      for (const rule of rules) {
        if (rule.apply(node, rw)) {
          changed = true;
          break;
        }
      }
    }
    rw.checkUses(rules);
    if (!changed) return changedAny;
    deadCodeElimination(g);
    changedAny = true;
  }
  throw new Error(`rewrite: rules ${rules.map((r) => r.name).join(', ')} did not reach a fixed point in ${maxRounds} rounds`);
}
