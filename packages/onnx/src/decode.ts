// Decoding ONNX bytes with protobufjs over the official schema (onnx-proto.ts) into plain typed
// records, checking on the way what the importer relies on: field types, tensor dtypes, names.
// protobufjs does the wire format; a truncated or corrupted buffer surfaces as its RangeError or
// Error, rethrown here as an OnnxFormatError naming the file.

import protobuf from 'protobufjs';
import { OnnxFormatError } from './errors.ts';
import { ONNX_PROTO } from './onnx-proto.ts';

export interface OnnxTensor {
  readonly name: string;
  readonly dims: number[];
  readonly dataType: number;
  readonly rawData?: Uint8Array;
  readonly floatData: number[];
  readonly int32Data: number[];
  readonly int64Data: number[];
  readonly doubleData: number[];
  readonly uint64Data: number[];
  /** EXTERNAL (1) or DEFAULT (0). */
  readonly dataLocation: number;
  readonly externalData: ReadonlyMap<string, string>;
}

export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: OnnxTensor;
  readonly floats: number[];
  readonly ints: number[];
  /** A GRAPH attribute's graph (a Loop's body). */
  readonly g?: OnnxGraph;
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attributes: OnnxAttribute[];
}

/** A dim of a value's declared shape: a size, a named parameter, or neither. */
export type OnnxDim = { value: number } | { param: string } | {};

export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType?: number;
  /** undefined when the shape is not given at all. */
  readonly shape?: OnnxDim[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: OnnxNode[];
  readonly initializers: OnnxTensor[];
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly producer: string;
  /** domain ('' for the default ai.onnx) → opset version. */
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: OnnxGraph;
}

let modelType: protobuf.Type | undefined;

/** The ModelProto type, parsed from the schema text once. */
export function modelProtoType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

type Obj = Record<string, unknown>;

class Reader {
  constructor(readonly file: string) {}

  fail(where: string, why: string): never {
    throw new OnnxFormatError(`${this.file}: ${where}: ${why}`);
  }

  str(o: Obj, k: string, where: string): string {
    const v = o[k];
    if (v === undefined) return '';
    if (typeof v !== 'string') this.fail(where, `${k} is not a string`);
    return v;
  }

  int(o: Obj, k: string, where: string): number | undefined {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, `${k} is not a number`);
    return v;
  }

  nums(o: Obj, k: string, where: string): number[] {
    const v = o[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) this.fail(where, `${k} is not a list of numbers`);
    return v as number[];
  }

  list(o: Obj, k: string): Obj[] {
    const v = o[k];
    return Array.isArray(v) ? (v as Obj[]) : [];
  }

  tensor(o: Obj, where: string): OnnxTensor {
    const name = this.str(o, 'name', where);
    const at = name ? `${where} ${JSON.stringify(name)}` : where;
    const dims = this.nums(o, 'dims', at);
    if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) this.fail(at, `dims [${dims.join(', ')}] are not sizes`);
    const raw = o.raw_data;
    const external = new Map<string, string>();
    for (const e of this.list(o, 'external_data')) external.set(this.str(e, 'key', at), this.str(e, 'value', at));
    return {
      name, dims, dataType: this.int(o, 'data_type', at) ?? 0,
      ...(raw instanceof Uint8Array && raw.length > 0 ? { rawData: raw } : {}),
      floatData: this.nums(o, 'float_data', at), int32Data: this.nums(o, 'int32_data', at), int64Data: this.nums(o, 'int64_data', at),
      doubleData: this.nums(o, 'double_data', at), uint64Data: this.nums(o, 'uint64_data', at),
      dataLocation: this.int(o, 'data_location', at) ?? 0, externalData: external,
    };
  }

  attribute(o: Obj, where: string): OnnxAttribute {
    const name = this.str(o, 'name', where);
    const at = `${where}, attribute ${JSON.stringify(name)}`;
    const t = o.t as Obj | undefined;
    const g = o.g as Obj | undefined;
    const s = o.s;
    return {
      name, type: this.int(o, 'type', at) ?? 0, f: this.int(o, 'f', at), i: this.int(o, 'i', at),
      ...(s instanceof Uint8Array ? { s } : {}), ...(t ? { t: this.tensor(t, `${at} tensor`) } : {}),
      floats: this.nums(o, 'floats', at), ints: this.nums(o, 'ints', at), ...(g ? { g: this.graph(g, `${at} graph`) } : {}),
    };
  }

  node(o: Obj, i: number, scope = ''): OnnxNode {
    const name = this.str(o, 'name', `${scope}node ${i}`);
    const where = `${scope}node ${i}${name ? ` ${JSON.stringify(name)}` : ''}`;
    const strs = (k: string) => {
      const v = o[k] ?? [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(where, `${k} is not a list of names`);
      return v as string[];
    };
    const opType = this.str(o, 'op_type', where);
    if (!opType) this.fail(where, 'has no op_type');
    return {
      name, opType, domain: this.str(o, 'domain', where), inputs: strs('input'), outputs: strs('output'),
      attributes: this.list(o, 'attribute').map((a) => this.attribute(a, where)),
    };
  }

  valueInfo(o: Obj, where: string): OnnxValueInfo {
    const name = this.str(o, 'name', where);
    if (!name) this.fail(where, 'has no name');
    const at = `${where} ${JSON.stringify(name)}`;
    const tt = ((o.type as Obj | undefined)?.tensor_type) as Obj | undefined;
    if (!tt) return { name };
    const shape = tt.shape as Obj | undefined;
    const dims = shape ? this.list(shape, 'dim').map((d): OnnxDim => {
      const v = this.int(d, 'dim_value', at);
      const p = this.str(d, 'dim_param', at);
      return v !== undefined ? { value: v } : p ? { param: p } : {};
    }) : undefined;
    return { name, elemType: this.int(tt, 'elem_type', at), ...(dims ? { shape: dims } : {}) };
  }

  graph(g: Obj, where: string): OnnxGraph {
    const at = where === 'graph' ? '' : `${where}, `;
    return {
      name: this.str(g, 'name', where),
      nodes: this.list(g, 'node').map((n, i) => this.node(n, i, at)),
      initializers: this.list(g, 'initializer').map((t) => this.tensor(t, `${at}initializer`)),
      inputs: this.list(g, 'input').map((v) => this.valueInfo(v, `${at}graph input`)),
      outputs: this.list(g, 'output').map((v) => this.valueInfo(v, `${at}graph output`)),
    };
  }
}

/** Decode a ModelProto; every malformed buffer is an OnnxFormatError naming `file`. */
export function decodeModel(bytes: Uint8Array, file = '<buffer>'): OnnxModel {
  const r = new Reader(file);
  let obj: Obj;
  try {
    const type = modelProtoType();
    obj = type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as Obj;
  } catch (e) {
    throw new OnnxFormatError(`${file}: not a valid ONNX model (protobuf: ${(e as Error).message})`, { cause: e });
  }
  const g = (obj.graph as Obj | undefined) ?? r.fail('model', 'has no graph (an empty or non-ONNX file?)');
  const opsets = new Map<string, number>();
  for (const o of r.list(obj, 'opset_import')) {
    const domain = r.str(o, 'domain', 'opset_import');
    opsets.set(domain === 'ai.onnx' ? '' : domain, r.int(o, 'version', 'opset_import') ?? 0);
  }
  return {
    irVersion: r.int(obj, 'ir_version', 'model') ?? 0,
    producer: r.str(obj, 'producer_name', 'model'),
    opsets,
    graph: r.graph(g, 'graph'),
  };
}
