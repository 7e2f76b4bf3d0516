// The exporter's state while it writes one graph: the ONNX nodes and initializers so far, unique
// value names, deduplicated constants, and symbolic dims made into run-time int64 tensors. A dim
// such as `batch` is read off the graph input that carries it (Shape with start/end); a computed
// dim (`past + 1`, `2 * batch`) is its polynomial evaluated with Mul and Add over those; a symbol
// that only appears inside a computed input dim is solved from it when it occurs there alone and
// to the first power (as the interpreter's bindShape does).

import { type DType, type Dim, type Graph, type Tensor, dimSymbols, dimTerms, isSymbolName, tensor } from '@smelt/ir';
import { ONNX_DTYPE } from '../tensors.ts';
import { type AttrValue, type ProtoObject, ELEM_TYPE, attributeProto, tensorProto } from './proto.ts';

/** Where a symbol's value comes from at run time: an axis of a graph input. */
interface SymbolSource {
  readonly input: string;
  readonly axis: number;
  /** The dim at that axis: the symbol itself, or a computed dim it is solved from. */
  readonly dim: string;
}

const unbound = (s: string) => `dim symbol ${s} is bound by no graph input's shape, so its value is unknown at run time`;

export class OnnxWriter {
  readonly nodes: ProtoObject[] = [];
  readonly initializers: ProtoObject[] = [];
  private readonly taken = new Set<string>();
  private readonly consts = new Map<string, string>();
  private readonly dims = new Map<string, string>();
  private readonly sources = new Map<string, SymbolSource>();
  private readonly solving = new Set<string>();
  private readonly symbols: string[];
  /** Names helper values and nodes after the smelt value being written (`%12`). */
  scope = 'graph';
  private count = 0;

  constructor(graph: Graph) {
    const all = new Set<string>();
    const computed: SymbolSource[] = [];
    for (const v of graph.inputs) {
      v.type.shape.forEach((d, axis) => {
        if (typeof d !== 'string') return;
        if (isSymbolName(d)) {
          if (!this.sources.has(d)) this.sources.set(d, { input: v.name!, axis, dim: d });
          all.add(d);
        } else {
          computed.push({ input: v.name!, axis, dim: d });
          for (const s of dimSymbols(d)) all.add(s);
        }
      });
    }
    this.symbols = [...all];
    for (const c of computed) {
      for (const s of this.symbols) if (!this.sources.has(s) && dimSymbols(c.dim).includes(s)) this.sources.set(s, c);
    }
  }

  /** Claim `name` exactly; false when it is already used. */
  claim(name: string): boolean {
    if (this.taken.has(name)) return false;
    this.taken.add(name);
    return true;
  }

  /** A new unique name starting with `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; !this.claim(name); i++) name = `${base}_${i}`;
    return name;
  }

  /** Append a node; its outputs are `outs` (given names) or fresh names. Returns the output names. */
  emit(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, outs: number | readonly string[] = 1): string[] {
    const names = typeof outs === 'number' ? Array.from({ length: outs }, () => this.fresh(`${this.scope}/${op}`)) : [...outs];
    this.nodes.push({
      name: `${this.scope}/${op}_${this.count++}`, op_type: op, input: [...inputs], output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return names;
  }

  /** Append a one-output node, named `out` when given. */
  node(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, out?: string): string {
    return this.emit(op, inputs, attrs, out === undefined ? 1 : [out])[0];
  }

  initializer(name: string, t: Tensor): void {
    this.initializers.push(tensorProto(name, t));
  }

  /** A constant tensor as an initializer; equal small constants share one. */
  constant(t: Tensor, base = 'const'): string {
    const key = t.data.length <= 64 ? `${t.dtype}[${t.shape.join(',')}]:${Array.from(t.data as ArrayLike<number | bigint>).join(',')}` : undefined;
    const known = key === undefined ? undefined : this.consts.get(key);
    if (known) return known;
    const name = this.fresh(`${base}`);
    this.initializer(name, t);
    if (key !== undefined) this.consts.set(key, name);
    return name;
  }

  /** A scalar (rank 0, or rank 1 of one element when `vector`) of a dtype. */
  scalar(dtype: DType, v: number, vector = false): string {
    const t = tensor(dtype, vector ? [1] : []);
    if (t.data instanceof BigInt64Array) t.data[0] = BigInt(v);
    else (t.data as Float32Array)[0] = v;
    return this.constant(t, `const/${dtype}`);
  }

  /** A float64 scalar (no smelt dtype holds one: TopK's sort keys). */
  float64(v: number): string {
    const name = this.fresh('const/f64');
    this.initializers.push({ name, dims: [], data_type: ONNX_DTYPE.DOUBLE, raw_data: new Uint8Array(Float64Array.of(v).buffer) });
    return name;
  }

  /** An int64 vector of known values. */
  ints(values: readonly number[]): string {
    const t = tensor('i64', [values.length]);
    values.forEach((v, i) => { (t.data as BigInt64Array)[i] = BigInt(v); });
    return this.constant(t, 'const/i64');
  }

  /** `x` as `dtype` (no node when it already is). */
  cast(x: string, from: DType, to: DType, out?: string): string {
    if (from === to && out === undefined) return x;
    return this.node('Cast', [x], { to: ELEM_TYPE[to] }, out);
  }

  /** A dim as an int64 tensor of shape [1], computed from the graph inputs' shapes when symbolic. */
  dim(d: Dim): string {
    if (typeof d === 'number') return this.ints([d]);
    const known = this.dims.get(d);
    if (known) return known;
    for (const s of dimSymbols(d)) if (!this.symbols.includes(s)) throw new Error(unbound(s));
    const out = this.terms(dimTerms(d, this.symbols));
    this.dims.set(d, out);
    return out;
  }

  /** A polynomial's terms ([coefficient, ...symbol indices], dimTerms) summed as an int64 [1]. */
  private terms(terms: readonly number[][]): string {
    let sum: string | undefined;
    for (const [coef, ...factors] of terms) {
      let term: string | undefined;
      for (const f of factors) term = term === undefined ? this.symbol(this.symbols[f]) : this.node('Mul', [term, this.symbol(this.symbols[f])]);
      term = term === undefined ? this.ints([coef]) : coef === 1 ? term : this.node('Mul', [term, this.ints([coef])]);
      sum = sum === undefined ? term : this.node('Add', [sum, term]);
    }
    return sum ?? this.ints([0]);
  }

  /** A dim as an int64 scalar (rank 0). */
  dimScalar(d: Dim): string {
    if (typeof d === 'number') return this.scalar('i64', d);
    return this.node('Squeeze', [this.dim(d), this.ints([0])]);
  }

  /** A shape as an int64 vector: a constant when every dim is known, else the dims joined. */
  shape(dims: readonly Dim[]): string {
    if (dims.every((d) => typeof d === 'number')) return this.ints(dims as number[]);
    return this.node('Concat', dims.map((d) => this.dim(d)), { axis: 0 });
  }

  /** The run-time value of a symbol, int64 [1], from the input axis that binds it. */
  private symbol(s: string): string {
    const key = `symbol ${s}`;
    const known = this.dims.get(key);
    if (known) return known;
    const src = this.sources.get(s);
    if (!src || this.solving.has(s)) throw new Error(unbound(s));
    this.solving.add(s);
    const saved = this.scope;
    this.scope = `dim/${s}`;
    const axis = this.node('Shape', [src.input], { start: src.axis, end: src.axis + 1 });
    const value = src.dim === s ? axis : this.solve(s, src.dim, axis);
    this.scope = saved;
    this.solving.delete(s);
    this.dims.set(key, value);
    return value;
  }

  /** s from `dim = value`, where s occurs in dim alone and to the first power: (value - rest) / coefficient. */
  private solve(s: string, dim: string, value: string): string {
    const at = this.symbols.indexOf(s);
    const terms = dimTerms(dim, this.symbols);
    const own = terms.filter((t) => t.slice(1).includes(at));
    if (own.length !== 1 || own[0].length !== 2) throw new Error(`dim symbol ${s} is only bound inside ${dim}, which does not determine it`);
    const rest = terms.filter((t) => t !== own[0]);
    const shifted = rest.length === 0 ? value : this.node('Sub', [value, this.terms(rest)]);
    return own[0][0] === 1 ? shifted : this.node('Div', [shifted, this.ints([own[0][0]])]);
  }
}
