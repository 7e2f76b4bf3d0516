// A WebAssembly module under construction: function types (deduplicated), the imported linear
// memory (optionally shared, for threads), functions declared first and defined later (so code
// can call a function before its body exists), exports, and the binary encoding of the sections.

import { Bytes } from './bytes.ts';
import { Code } from './code.ts';
import { VALTYPE, type ValType } from './opcodes.ts';

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;
}

interface FuncEntry {
  readonly name: string;
  readonly type: number;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  code?: Code;
  encoded?: Bytes;
}

/** A declared function: its index (for `call`) and its signature. */
export interface FuncRef {
  readonly index: number;
  readonly name: string;
}

export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly funcs: FuncEntry[] = [];
  private readonly exports: { name: string; index: number }[] = [];

  constructor(readonly memory: MemoryImport) {}

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    let i = this.types.indexOf(key);
    if (i < 0) i = this.types.push(key) - 1;
    return i;
  }

  /** Declare a function; define its body later with `define`. */
  declare(name: string, params: readonly ValType[], results: readonly ValType[] = []): FuncRef {
    const index = this.funcs.length;
    this.funcs.push({ name, type: this.typeIndex(params, results), params, results });
    return { index, name };
  }

  define(f: FuncRef, body: (c: Code) => void): void {
    const e = this.funcs[f.index];
    if (e.code) throw new Error(`function ${e.name} is defined twice`);
    const c = new Code(e.params, e.results);
    body(c);
    e.code = c;
  }

  /** Declare and define in one step. */
  func(name: string, params: readonly ValType[], results: readonly ValType[], body: (c: Code) => void): FuncRef {
    const f = this.declare(name, params, results);
    this.define(f, body);
    return f;
  }

  /** Each function's name and encoded body size in bytes (for listings). */
  functionSizes(): { name: string; bytes: number }[] {
    return this.funcs.map((f) => ({ name: f.name, bytes: this.body(f).length }));
  }

  export(name: string, f: FuncRef): void {
    this.exports.push({ name, index: f.index });
  }

  encode(): Uint8Array {
    const out = new Bytes().raw([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (b: Bytes) => void) => {
      const b = new Bytes();
      fill(b);
      out.byte(id).sized(b);
    };
    section(1, (b) => {
      b.u32(this.types.length);
      for (const key of this.types) {
        const [p, r] = key.split('->').map((s) => (s ? (s.split(',') as ValType[]) : []));
        b.byte(0x60).u32(p.length).raw(p.map((t) => VALTYPE[t])).u32(r.length).raw(r.map((t) => VALTYPE[t]));
      }
    });
    section(2, (b) => {
      const m = this.memory;
      b.u32(1).name(m.module).name(m.name).byte(0x02).byte(m.shared ? 0x03 : 0x01).u32(m.initialPages).u32(m.maximumPages);
    });
    section(3, (b) => {
      b.u32(this.funcs.length);
      for (const f of this.funcs) b.u32(f.type);
    });
    section(7, (b) => {
      b.u32(this.exports.length);
      for (const e of this.exports) b.name(e.name).byte(0x00).u32(e.index);
    });
    section(10, (b) => {
      b.u32(this.funcs.length);
      for (const f of this.funcs) b.sized(this.body(f));
    });
    section(0, (b) => this.nameSection(b));
    return out.view().slice();
  }

  private body(f: FuncEntry): Bytes {
    if (!f.code) throw new Error(`function ${f.name} is declared but never defined`);
    f.encoded ??= f.code.encode();
    return f.encoded;
  }

  /** The custom "name" section: function names show in stack traces and profiles. */
  private nameSection(b: Bytes): void {
    b.name('name');
    const sub = new Bytes();
    sub.u32(this.funcs.length);
    this.funcs.forEach((f, i) => sub.u32(i).name(f.name));
    b.byte(1).sized(sub);
  }
}
