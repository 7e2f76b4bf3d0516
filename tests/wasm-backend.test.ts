// The wasm backend against the reference interpreter: every op kind of the op table (OP_KINDS,
// the cases of op-cases.ts at both symbol bindings), raw and optimized, for each build (plain and relaxed
// SIMD, one and two threads); GEMM edge shapes (odd sizes, chunking, packed and per-run B,
// broadcast epilogues, in-place residuals, fewer rows than the tile); one module across sequence lengths; the run-time
// layout equal to the compiler's arenaLayout; and the errors a caller can cause.

import { describe, expect, it } from 'vitest';
import { type Graph, GraphBuilder, OP_KINDS, type Tensor, Var, input, interpret } from '@smelt/ir';
import { arenaLayout } from '@smelt/compiler';
import { type WasmCompileOptions, compileWasm, emitWasm, loadWasm, relaxedSimdAvailable, wasmPlan, wasmProgram } from '../packages/backends/src/wasm/index.ts';
import { CASES, ENVS, type OpCase, make } from './op-cases.ts';
import { BUILDS, WASM, describeBuild, expectClose, expectIdentical } from './wasm-suite.ts';

/** A case with its inputs at one or more bindings. */
interface Fixed { readonly name: string; readonly graph: Graph; readonly weights: Map<string, Tensor>; readonly inputs: readonly Map<string, Tensor>[] }

const atEnvs = (c: OpCase): Fixed => ({ ...c, inputs: ENVS.map((env) => c.inputs(env)) });

async function check(c: Fixed, options: WasmCompileOptions): Promise<void> {
  const exe = await compileWasm(c.graph, c.weights, options);
  try {
    for (const inputs of c.inputs) {
      const want = interpret(c.graph, inputs, c.weights);
      const got = await exe.run(inputs);
      for (const [name, t] of want) expectClose(got.get(name), t, `${c.name} (${JSON.stringify(options)}) output ${name}`);
    }
  } finally {
    exe.dispose();
  }
}

for (const build of BUILDS) {
  describe(`wasm backend, ${describeBuild(build)}: every op kind vs the interpreter`, () => {
    for (const kind of OP_KINDS) {
      it(kind, async () => {
        const cases = CASES[kind]();
        expect(cases.length, `${kind} has cases`).toBeGreaterThan(0);
        for (const c of cases.map(atEnvs)) {
          await check(c, { ...build, optimize: false });
          await check(c, { ...build, optimize: true });
        }
      });
    }
  });
}

/** A graph from inputs (declared shape, actual data) and weights; outputs from `build`. */
function graphCase(name: string, inputs: Record<string, [(number | string)[], number[]]>, weights: Record<string, number[]>, build: (v: Record<string, Var>, b: GraphBuilder) => Record<string, Var>) {
  const b = new GraphBuilder(name.replace(/\W/g, '_'));
  const vars: Record<string, Var> = {};
  const data = new Map<string, Tensor>();
  for (const [k, [shape, actual]] of Object.entries(inputs)) {
    vars[k] = input(b, k, 'f32', shape);
    data.set(k, make('f32', actual));
  }
  const w = new Map<string, Tensor>();
  for (const [k, shape] of Object.entries(weights)) {
    vars[k] = new Var(b, b.param(k, 'f32', shape));
    w.set(k, make('f32', shape));
  }
  for (const [k, v] of Object.entries(build(vars, b))) b.output(k, v.value);
  return { name, graph: b.graph, inputs: [data], weights: w };
}

const linear = (b: GraphBuilder, ops: Var[], attrs: { transB: boolean; epilogue: string }) =>
  new Var(b, b.emit('linear', ops.map((o) => o.value), attrs)[0]);

const GEMM_CASES = [
  graphCase('7×13 @ 13×11, weight B', { x: [['n', 13], [7, 13]] }, { w: [13, 11] }, ({ x, w }) => ({ y: x.matmul(w) })),
  graphCase('70×5 @ (200×5)ᵀ, chunks of rows and columns', { x: [['n', 5], [70, 5]] }, { w: [200, 5] }, ({ x, w }) => ({ y: x.matmul(w, { transB: true }) })),
  graphCase('input B, batched, transposes', { a: [[3, 'n', 9], [3, 6, 9]], c: [[3, 'm', 9], [3, 19, 9]], d: [[3, 9, 'n'], [3, 9, 6]] },
    {}, ({ a, c, d }) => ({ y: a.matmul(c, { transB: true }), z: d.matmul(c, { transA: true, transB: true }) })),
  graphCase('B broadcast over batch', { a: [[2, 1, 'n', 7], [2, 1, 5, 7]], c: [[3, 7, 9], [3, 7, 9]] }, {}, ({ a, c }) => ({ y: a.matmul(c) })),
  graphCase('linear gelu, bias, residual broadcast over batch', { x: [[2, 'n', 13], [2, 9, 13]], r: [['n', 11], [9, 11]] }, { w: [11, 13], c: [11] },
    ({ x, r, w, c }, b) => ({ y: linear(b, [x, w, c, r], { transB: true, epilogue: 'add(gelu(add($0, $1)), $2)' }) })),
  graphCase('linear in place over its residual', { x: [['n', 16], [33, 16]] }, { w: [16, 16], c: [16] },
    ({ x, w, c }, b) => ({ y: linear(b, [x.relu(), w, c, x.mul(2)], { transB: false, epilogue: 'add(relu(add($0, $1)), $2)' }).add(1) })),
  graphCase('1024 deep', { x: [['n', 1024], [6, 1024]] }, { w: [1024, 20] }, ({ x, w }) => ({ y: x.matmul(w) })),
  // Deep products: odd rows, partial panels, epilogues, A transposed, in place over the residual.
  graphCase('600 deep: odd rows, a partial panel, linear relu with bias and residual', { x: [['n', 600], [70, 600]], r: [['n', 37], [70, 37]] }, { w: [37, 600], c: [37] },
    ({ x, r, w, c }, b) => ({ y: linear(b, [x, w, c, r], { transB: true, epilogue: 'add(relu(add($0, $1)), $2)' }) })),
  graphCase('300 deep, A transposed', { a: [[300, 'n'], [300, 9]] }, { w: [300, 10] }, ({ a, w }) => ({ y: a.matmul(w, { transA: true }) })),
  graphCase('520 deep, in place over its residual', { x: [['n', 520], [33, 520]] }, { w: [520, 520], c: [520] },
    ({ x, w, c }, b) => ({ y: linear(b, [x.relu(), w, c, x.mul(2)], { transB: false, epilogue: 'add(relu(add($0, $1)), $2)' }).add(1) })),
  // Fewer rows than the tile (a decode step's GEMV): tiles of 8, 4 or 2 panels, then single
  // panels, then a partial one (100 and 75 columns); both transposes; B packed per run.
  ...[1, 2, 3].flatMap((rows) => [
    graphCase(`GEMV, ${rows} row(s): 37 deep @ (100×37)ᵀ, linear relu with bias and residual`, { x: [['n', 37], [rows, 37]], r: [['n', 100], [rows, 100]] }, { w: [100, 37], c: [100] },
      ({ x, r, w, c }, b) => ({ y: linear(b, [x, w, c, r], { transB: true, epilogue: 'add(relu(add($0, $1)), $2)' }) })),
    graphCase(`GEMV, ${rows} row(s): A transposed, 45 deep @ 45×75`, { a: [[45, 'n'], [45, rows]] }, { w: [45, 75] }, ({ a, w }) => ({ y: a.matmul(w, { transA: true }) })),
    graphCase(`GEMV, ${rows} row(s): input B of symbolic depth, plain and transposed`, { a: [['n', 'm'], [rows, 45]], c: [['m', 130], [45, 130]], d: [[70, 'm'], [70, 45]] },
      {}, ({ a, c, d }) => ({ y: a.matmul(c), z: a.matmul(d, { transB: true }) })),
    graphCase(`GEMV, ${rows} row(s) per batch: batched input B`, { a: [[3, 'n', 9], [3, rows, 9]], c: [[3, 9, 'm'], [3, 9, 75]] }, {}, ({ a, c }) => ({ y: a.matmul(c) })),
  ]),
];

describe('wasm backend: GEMM shapes', () => {
  for (const c of GEMM_CASES) {
    it(c.name, async () => {
      for (const build of BUILDS) {
        await check(c, { ...build, optimize: false });
        await check(c, { ...build, optimize: true });
      }
    });
  }
});

describe('wasm backend: runs', () => {
  const attention = atEnvs(CASES.attention()[0]);

  it('serves several sequence lengths from one module, growing memory as needed', async () => {
    for (const build of BUILDS) {
      const exe = await compileWasm(attention.graph, attention.weights, build);
      try {
        for (const [n, m] of [[5, 37], [9, 70], [3, 2], [200, 300], [5, 37]]) {
          const inputs = new Map([
            ['q', make('f32', [2, 3, n, 8])], ['k', make('f32', [2, 3, m, 8])], ['v', make('f32', [2, 3, m, 4])],
            ['mask', make('f32', [2, 1, 1, m], (i) => (i % 4 === 0 ? -Infinity : 0))],
          ]);
          const got = await exe.run(inputs);
          expectClose(got.get('y'), interpret(attention.graph, inputs, attention.weights).get('y')!, `${describeBuild(build)} n=${n} m=${m}`);
        }
      } finally {
        exe.dispose();
      }
    }
  });

  it('gives the same bits on one and two threads', async () => {
    for (const c of [...GEMM_CASES, attention, ...CASES.attention().filter((a) => a.name.includes('bshd')).map(atEnvs), ...CASES.softmax().map(atEnvs), ...CASES.add_layer_norm().map(atEnvs), ...CASES.pad().map(atEnvs)]) {
      const [one, two] = await Promise.all([compileWasm(c.graph, c.weights, { simd: 'relaxed' }), compileWasm(c.graph, c.weights, { simd: 'relaxed', threads: 2 })]);
      const [a, b] = [await one.run(c.inputs[0]), await two.run(c.inputs[0])];
      for (const [name, t] of a) expectIdentical(b.get(name)!, t, `${c.name}: ${name}`);
      one.dispose();
      two.dispose();
    }
  });

  it('places arena buffers at arenaLayout offsets for each set of symbol values', async () => {
    const plan = wasmPlan(attention.graph);
    const program = await wasmProgram(plan);
    const memory = new WASM.Memory({ initial: 64, maximum: 64 });
    const { exports } = new WASM.Instance(new WASM.Module(program.bytes), { env: { memory } });
    const base = Math.ceil(program.memory.staticEnd / 64) * 64;
    for (const [n, m] of [[5, 37], [64, 9]]) {
      const env = new Map([['n', n], ['m', m]]);
      exports.layout(1, ...plan.symbols.map((s) => env.get(s)!));
      const table = new Int32Array(memory.buffer);
      for (const [id, offset] of arenaLayout(plan, env).offsets) {
        expect(table[program.memory.pointerSlot(id) / 4], `buffer ${id}`).toBe(program.memory.staticEnd + offset);
      }
      expect(base).toBe(program.memory.staticEnd);
    }
  });

  it('emits a printable listing, and loads what it emitted', async () => {
    await relaxedSimdAvailable();
    const artifact = emitWasm(wasmPlan(attention.graph));
    const text = artifact.text();
    expect(text).toMatch(/^;; \w+: WebAssembly module, \d+ bytes, relaxed SIMD, 1 thread\n;; symbols \(run and layout parameters\): n, m/);
    expect(text).toMatch(/\(func \$kernel_0_attention {2};; \d+ bytes {2}attention\)/);
    const exe = await loadWasm(artifact, attention.weights);
    expectClose((await exe.run(attention.inputs[0])).get('y'), interpret(attention.graph, attention.inputs[0], attention.weights).get('y')!, 'loaded artifact');
    exe.dispose();
  });

  it('rejects bad inputs and weights with the interpreter-style messages', async () => {
    const exe = await compileWasm(attention.graph, attention.weights);
    await expect(exe.run(new Map())).rejects.toThrow(/missing input "q": expected f32\[2, 3, n, 8\]/);
    const inputs = new Map(attention.inputs[0]);
    inputs.set('k', make('f32', [2, 3, 36, 8]));
    await expect(exe.run(inputs)).rejects.toThrow(`input "v": expected shape [2, 3, m, 4], got [2, 3, ${ENVS[0].m}, 4] (m is already 36)`);
    exe.dispose();
    await expect(exe.run(attention.inputs[0])).rejects.toThrow(/disposed/);
    const [linearCase] = GEMM_CASES;
    await expect(compileWasm(linearCase.graph, new Map())).rejects.toThrow(/missing weight "w": expected f32\[13, 11\]/);
  });

  it('names the memory limit when the weights cannot fit a wasm memory (not "i32 out of range")', () => {
    const b = new GraphBuilder('huge');
    const x = input(b, 'x', 'f32', ['n', 40000]);
    b.output('y', x.matmul(new Var(b, b.param('w', 'f32', [40000, 40000])), { transB: true }).value);
    expect(() => emitWasm(wasmPlan(b.graph, { optimize: false }), { simd: 'plain' }))
      .toThrow(/^wasm: "huge" needs \d+ bytes for its weights, constants and packed GEMM panels; a wasm memory holds at most 2147483648 \(2 GiB\)$/);
  });

  it('reports an out-of-range gather index instead of reading past the table', async () => {
    const gather = atEnvs(CASES.gather()[0]);
    // Indices that are an input are checked before the run (input-check.ts); computed ones trap in the kernel.
    const computed = graphCase('computed indices', {}, { t: [11, 6] }, ({ t }, b) => {
      const ids = input(b, 'ids', 'i32', ['n', 3]);
      return { y: new Var(b, b.emit('gather', [t.value, ids.add(ids).value], { axis: 0 })[0]) };
    });
    for (const build of [BUILDS[0], BUILDS[2]]) {
      const exe = await compileWasm(gather.graph, gather.weights, build);
      const bad = new Map([['ids', make('i32', [4, 3], (i) => (i === 7 ? 11 : 0))]]);
      await expect(exe.run(bad)).rejects.toThrow('input "ids": value 11 at [2, 1] is out of range [0, 11): it indexes a table of shape [11, 6]');
      expect(() => exe.runSync(gather.inputs[0])).not.toThrow();
      exe.dispose();
      const trapping = await compileWasm(computed.graph, computed.weights, build);
      await expect(trapping.run(new Map([['ids', make('i32', [4, 3], (i) => (i === 7 ? 6 : 0))]]))).rejects.toThrow(/\(gather\) failed: an index is out of range/);
      expect(() => trapping.runSync(new Map([['ids', make('i32', [4, 3], () => 5)]]))).not.toThrow();
      trapping.dispose();
    }
  });
});

export type { Graph };
