// The one check of run inputs, shared by every backend in process and by every exported model.js
// (which inlines this file's text, so it imports nothing and declares only plain data and pure
// functions). Against the plan's input contract (compiler/src/plan/input-contract.ts) it checks, in
// this order, so a bad input gets the same message on every backend before anything runs: each
// input is present, has its dtype, a shape that binds the symbols consistently and data of the
// right array type and length; every symbol is at least 1 (an empty input is refused: attention and
// softmax over zero keys have no defined result), but for a cache length that a concat grows (a
// decoding step's past, empty before the first token), and at most its bound (a slice of a known length,
// such as the positional table); every input a gather reads directly holds indices within its table.
// Inputs already in the backend's memory (resident.ts; named in `onDevice`) have no host data: their
// dtype and shape are checked, their data was checked when it went there.

export type InputContractDim = number | string;

/** The plan's InputContract, structurally (this file cannot import the compiler's types). */
export interface InputContractData {
  readonly inputs: readonly { readonly name: string; readonly dtype: string; readonly shape: readonly InputContractDim[] }[];
  readonly symbolBounds: readonly { readonly symbol: string; readonly max: number; readonly of: readonly InputContractDim[] }[];
  readonly indexBounds: readonly { readonly input: string; readonly rows: InputContractDim; readonly of: readonly InputContractDim[] }[];
  readonly mayBeEmpty: readonly string[];
}

export interface InputTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

/** Named inputs: a Map, or a plain object whose own properties are the inputs. */
export type NamedInputs = ReadonlyMap<string, InputTensor> | { readonly [name: string]: InputTensor };

const INPUT_ARRAY_TYPES: { readonly [dtype: string]: { readonly name: string } } = {
  f32: Float32Array, f16: Uint16Array, i32: Int32Array, i64: BigInt64Array, u8: Uint8Array, bool: Uint8Array,
};

const shapeText = (shape: readonly InputContractDim[]) => `[${shape.join(', ')}]`;

/** The input of that name; of a plain object only an own property counts (a name may be "__proto__"). */
export function inputOf(inputs: NamedInputs, name: string): InputTensor | undefined {
  if (inputs instanceof Map) return inputs.get(name);
  const record = inputs as { readonly [name: string]: InputTensor };
  return Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
}

/** Where a symbol was first bound: the input and the dim. */
interface SymbolSite { readonly input: string; readonly dim: number; readonly value: number }

function bindInput(want: InputContractData['inputs'][number], t: InputTensor | undefined, sites: Map<string, SymbolSite>, onDevice: boolean): void {
  const name = JSON.stringify(want.name);
  if (t === undefined || t === null) throw new Error(`missing input ${name}: expected ${want.dtype}${shapeText(want.shape)}`);
  const shape: readonly number[] = Array.isArray(t.shape) ? t.shape : [];
  if (!Array.isArray(t.shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`input ${name}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
  }
  if (t.dtype !== want.dtype) throw new Error(`input ${name}: expected dtype ${want.dtype}, got ${t.dtype} ${shapeText(shape)}`);
  const fail = (why: string) => new Error(`input ${name}: expected shape ${shapeText(want.shape)}, got ${shapeText(shape)}${why}`);
  if (shape.length !== want.shape.length) throw fail('');
  want.shape.forEach((d, i) => {
    const got = shape[i];
    if (typeof d === 'number') {
      if (d !== got) throw fail('');
      return;
    }
    const site = sites.get(d);
    if (site === undefined) sites.set(d, { input: want.name, dim: i, value: got });
    else if (site.value !== got) throw fail(` (${d} is already ${site.value})`);
  });
  if (onDevice) return;
  const array = INPUT_ARRAY_TYPES[want.dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const data = t.data as { readonly constructor?: { readonly name?: string }; readonly length?: number } | undefined;
  const isArray = (data as unknown) instanceof (array as unknown as new () => object);
  if (!isArray || data?.length !== count) {
    throw new Error(`input ${name}: data must be a ${array.name} of ${count} elements, got ${data?.constructor?.name ?? String(data)} of ${data?.length}`);
  }
}

function checkSymbols(contract: InputContractData, sites: ReadonlyMap<string, SymbolSite>): void {
  for (const [symbol, site] of sites) {
    const at = `input ${JSON.stringify(site.input)}: dim ${site.dim} (${symbol}) is ${site.value}`;
    if (site.value < 1 && !contract.mayBeEmpty.includes(symbol)) throw new Error(`${at}: an empty input is refused (a symbolic dim must be at least 1)`);
    const bound = contract.symbolBounds.find((b) => b.symbol === symbol);
    if (bound && site.value > bound.max) {
      throw new Error(`${at}, more than ${bound.max}: the graph slices ${symbol} entries out of a tensor of shape ${shapeText(bound.of)}`);
    }
  }
}

/** Row-major coordinates of flat index `i` in `shape`. */
function coordinates(i: number, shape: readonly number[]): number[] {
  const at: number[] = new Array(shape.length).fill(0);
  for (let k = shape.length - 1, rest = i; k >= 0; k--) {
    at[k] = rest % shape[k];
    rest = Math.floor(rest / shape[k]);
  }
  return at;
}

function checkIndices(contract: InputContractData, inputs: NamedInputs, sites: ReadonlyMap<string, SymbolSite>, onDevice: ReadonlySet<string>): void {
  for (const bound of contract.indexBounds) {
    const rows = typeof bound.rows === 'number' ? bound.rows : sites.get(bound.rows)?.value;
    const t = inputOf(inputs, bound.input);
    if (rows === undefined || t === undefined) continue;
    if (onDevice.has(bound.input)) throw new Error(`input ${JSON.stringify(bound.input)}: a gather reads its values as indices, so it must come from the host (its values are checked), not from the backend's memory`);
    for (let i = 0; i < t.data.length; i++) {
      const v = Number(t.data[i]);
      if (v >= 0 && v < rows) continue;
      throw new Error(`input ${JSON.stringify(bound.input)}: value ${t.data[i]} at ${shapeText(coordinates(i, t.shape))} is out of range [0, ${rows}): it indexes a table of shape ${shapeText(bound.of)}`);
    }
  }
}

/** Check `inputs` against the contract; the symbol values they bind, or an error naming the input. `onDevice`: inputs held by the backend. */
export function checkInputs(contract: InputContractData, inputs: NamedInputs, onDevice: ReadonlySet<string> = new Set()): Map<string, number> {
  if (inputs === null || typeof inputs !== 'object') throw new Error(`inputs must be a Map or an object of named tensors, got ${inputs === null ? 'null' : typeof inputs}`);
  const sites = new Map<string, SymbolSite>();
  for (const want of contract.inputs) bindInput(want, inputOf(inputs, want.name), sites, onDevice.has(want.name));
  checkSymbols(contract, sites);
  checkIndices(contract, inputs, sites, onDevice);
  return new Map([...sites].map(([symbol, site]) => [symbol, site.value]));
}
