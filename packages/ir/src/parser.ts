// The parser of the textual IR (the printer's inverse). It rebuilds the graph and re-runs every
// op's shape rule, so a hand-edited type that disagrees with the rule is an error at its line.

import { type AttrLiteral, type AttrSpec, attrDefault, attrFromLiteral } from './attrs.ts';
import { type DType, isDType } from './dtype.ts';
import { Graph, type Value } from './graph.ts';
import { IRSyntaxError, type Token, tokenize } from './lexer.ts';
import { isOpKind, OPS, operandRange } from './ops/table.ts';
import type { OpKind } from './ops/types.ts';
import { type Dim, type TensorType, canonicalDim, formatType, typesEqual } from './shape.ts';
import { parseNumberLiteral, tensorFromPayload } from './text-names.ts';

class Parser {
  private pos = 0;
  private readonly values = new Map<string, Value>();

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token { return this.tokens[this.pos]; }
  private next(): Token { return this.tokens[this.pos++]; }
  private fail(t: Token, msg: string): never { throw new IRSyntaxError(t.line, t.col, msg); }

  private expect(kind: Token['kind'], text?: string): Token {
    const t = this.next();
    if (t.kind !== kind || (text !== undefined && t.text !== text)) {
      this.fail(t, `expected ${text ? JSON.stringify(text) : kind}, got ${t.kind === 'eof' ? 'end of input' : JSON.stringify(t.text)}`);
    }
    return t;
  }

  private accept(text: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === text) { this.pos++; return true; }
    return false;
  }

  graph(): Graph {
    this.expect('ident', 'graph');
    const g = new Graph(this.expect('global').text);
    this.expect('punct', '{');
    while (!this.accept('}')) this.item(g);
    this.expect('eof');
    return g;
  }

  private item(g: Graph): void {
    const t = this.peek();
    if (t.kind === 'ident' && (t.text === 'input' || t.text === 'param')) {
      this.next();
      const name = this.expect('value');
      this.expect('punct', ':');
      const type = this.type();
      this.define(name, t.text === 'input' ? g.addInput(name.text, type) : g.addParam(name.text, type));
    } else if (t.kind === 'ident' && t.text === 'output') {
      this.next();
      const name = this.next();
      if (name.kind !== 'ident' && name.kind !== 'string') this.fail(name, 'expected an output name');
      this.expect('punct', '=');
      g.setOutput(name.text, this.use(this.expect('value')));
    } else {
      this.node(g);
    }
  }

  /** Numbered results (%12) and names (%x, %"12") live apart, so a name "12" never meets result 12. */
  private key(t: Token): string {
    return t.quoted ? `name:${t.text}` : /^\d+$/.test(t.text) ? `#${t.text}` : `name:${t.text}`;
  }

  private define(t: Token, v: Value): void {
    if (this.values.has(this.key(t))) this.fail(t, `%${t.text} is defined twice`);
    this.values.set(this.key(t), v);
  }

  private use(t: Token): Value {
    const v = this.values.get(this.key(t));
    if (!v) this.fail(t, `%${t.text} is used before it is defined`);
    return v;
  }

  private node(g: Graph): void {
    const results = [this.expect('value')];
    while (this.accept(',')) results.push(this.expect('value'));
    this.expect('punct', '=');
    const opTok = this.expect('ident');
    if (!isOpKind(opTok.text)) this.fail(opTok, `unknown op "${opTok.text}"`);
    const op: OpKind = opTok.text;
    this.expect('punct', '(');
    const operands: Value[] = [];
    if (!this.accept(')')) {
      do operands.push(this.use(this.expect('value'))); while (this.accept(','));
      this.expect('punct', ')');
    }
    const attrs = this.attrs(op, opTok);
    this.expect('punct', ':');
    const types = [this.type()];
    while (this.accept(',')) types.push(this.type());
    const inferred = this.infer(op, opTok, operands, attrs);
    if (inferred.length !== types.length || inferred.length !== results.length || !inferred.every((t, i) => typesEqual(t, types[i]))) {
      this.fail(opTok, `${op} results are written ${types.map(formatType).join(', ')} but its rule gives ${inferred.map(formatType).join(', ')}`);
    }
    const node = g.addNode(op, operands, attrs as never, inferred);
    node.outputs.forEach((v, i) => this.define(results[i], v));
  }

  private infer(op: OpKind, at: Token, operands: Value[], attrs: object): TensorType[] {
    const [min, max] = operandRange(op);
    if (operands.length < min || operands.length > max) {
      this.fail(at, `${op} takes ${min === max ? min : `${min} to ${max}`} operands, got ${operands.length}`);
    }
    try {
      return OPS[op].infer(operands.map((v) => v.type), attrs as never);
    } catch (e) {
      return this.fail(at, `${op}: ${(e as Error).message}`);
    }
  }

  private attrs(op: OpKind, at: Token): Record<string, unknown> {
    const specs = OPS[op].attrs as Record<string, AttrSpec>;
    const out: Record<string, unknown> = {};
    if (this.accept('{')) {
      do {
        const key = this.expect('ident');
        const spec = Object.hasOwn(specs, key.text) ? specs[key.text] : undefined;
        if (!spec) this.fail(key, `${op} has no attribute "${key.text}"`);
        if (Object.hasOwn(out, key.text)) this.fail(key, `attribute "${key.text}" is given twice`);
        this.expect('punct', '=');
        const lit = this.literal();
        try {
          out[key.text] = attrFromLiteral(op, key.text, spec, lit);
        } catch (e) {
          this.fail(key, (e as Error).message);
        }
      } while (this.accept(','));
      this.expect('punct', '}');
    }
    for (const [k, spec] of Object.entries(specs)) if (!Object.hasOwn(out, k) && attrDefault(spec) !== undefined) out[k] = attrDefault(spec);
    const missing = Object.keys(specs).filter((k) => !Object.hasOwn(out, k));
    if (missing.length) this.fail(at, `${op} is missing attribute(s) ${missing.join(', ')}`);
    return out;
  }

  private literal(): AttrLiteral {
    if (this.startsDimExpression()) {
      const at = this.peek();
      try {
        const d = canonicalDim(this.dimText());
        return typeof d === 'number' ? { t: 'num', v: d } : { t: 'ident', v: d };
      } catch (e) {
        return this.fail(at, (e as Error).message);
      }
    }
    const t = this.next();
    if (t.kind === 'number') return { t: 'num', v: parseNumberLiteral(t.text) };
    if (t.kind === 'string') return { t: 'str', v: t.text };
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) return { t: 'bool', v: t.text === 'true' };
    if (t.kind === 'ident' && t.text === 'dense') return this.dense();
    if (t.kind === 'ident') return { t: 'ident', v: t.text };
    if (t.kind === 'punct' && t.text === '[') {
      const items: AttrLiteral[] = [];
      if (!this.accept(']')) {
        do items.push(this.literal()); while (this.accept(','));
        this.expect('punct', ']');
      }
      return { t: 'list', v: items };
    }
    return this.fail(t, `expected an attribute value, got ${JSON.stringify(t.text)}`);
  }

  /** True at `(`, or at a number or name followed by + - * /: a computed dim such as `past + 1`. */
  private startsDimExpression(): boolean {
    const t = this.peek();
    const after = this.tokens[this.pos + 1];
    if (t.kind === 'punct' && t.text === '(') return true;
    return (t.kind === 'number' || t.kind === 'ident') && after?.kind === 'punct' && '+-*/'.includes(after.text);
  }

  private dense(): AttrLiteral {
    this.expect('punct', '<');
    const at = this.peek();
    const type = this.type();
    if (!type.shape.every((d): d is number => typeof d === 'number')) this.fail(at, 'a dense literal needs a static shape');
    this.expect('punct', ',');
    const payload = this.literal();
    this.expect('punct', '>');
    const raw = payload.t === 'str' ? payload.v : payload.t === 'num' ? payload.v
      : payload.t === 'list' && payload.v.every((x) => x.t === 'num') ? payload.v.map((x) => x.v as number) : undefined;
    if (raw === undefined) this.fail(at, 'dense payload must be a number, a list of numbers or "base64:..."');
    try {
      return { t: 'dense', v: tensorFromPayload(type.dtype, type.shape as number[], raw) };
    } catch (e) {
      return this.fail(at, (e as Error).message);
    }
  }

  private type(): TensorType {
    const t = this.expect('ident');
    if (!isDType(t.text)) this.fail(t, `unknown dtype "${t.text}"`);
    const dtype: DType = t.text;
    this.expect('punct', '[');
    const shape: Dim[] = [];
    if (!this.accept(']')) {
      do shape.push(this.dim()); while (this.accept(','));
      this.expect('punct', ']');
    }
    return { dtype, shape };
  }

  /** A dim: a number, a symbol, or an expression over symbols (`past + 1`), made canonical. */
  private dim(): Dim {
    const at = this.peek();
    const text = this.dimText();
    if (text === '') this.fail(at, 'expected a dim');
    const written: Dim = at.kind === 'number' && text === at.text ? Number(text) : text;
    try {
      return canonicalDim(written);
    } catch (e) {
      return this.fail(at, `shape: ${(e as Error).message}`);
    }
  }

  /** The tokens of one dim expression as text, up to a ',' ']' '}' or ':' outside parentheses. */
  private dimText(): string {
    const parts: string[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      const arith = t.kind === 'punct' && '+-*/'.includes(t.text);
      if (t.kind === 'punct' && t.text === '(') depth++;
      else if (t.kind === 'punct' && t.text === ')') {
        if (depth === 0) break;
        depth--;
      } else if (!(t.kind === 'number' || t.kind === 'ident' || arith)) break;
      parts.push(t.text);
      this.pos++;
    }
    return parts.join(' ');
  }
}

/** Parse IR text into a graph; throws IRSyntaxError with line and column. */
export function parseGraph(text: string): Graph {
  return new Parser(tokenize(text)).graph();
}
