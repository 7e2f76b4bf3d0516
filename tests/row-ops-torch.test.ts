// The row ops against PyTorch (tests/goldens/row_ops/, written by scripts/row_op_goldens.py):
// softmax and log_softmax (last axis and axis 1, partly and fully -inf rows, large logits),
// LayerNorm with and without bias (nn.LayerNorm with bias: false), RMSNorm (nn.RMSNorm) and RMSNorm
// of a residual sum (fused by the pipeline into add_rms_norm), on the interpreter and every
// available backend, to 1e-4 (NaN where torch gives NaN).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, Var, input, interpret, layerNorm, nn, rmsNorm } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { backendNames, getBackend } from '@smelt/backends';
import { GOLDEN_DIR } from './golden-util.ts';

const golden = readSafetensors(path.join(GOLDEN_DIR, 'row_ops', 'row_ops.safetensors'));
const get = (name: string): Tensor => golden.get(name)!;

function graph(axis1: boolean) {
  const b = new GraphBuilder('row_ops');
  const x = input(b, 'x', 'f32', ['batch', 3, 37]);
  const r = input(b, 'r', 'f32', ['batch', 3, 37]);
  const masked = input(b, 'masked', 'f32', [4, 9]);
  const w = new Var(b, b.param('w', 'f32', [37]));
  const bias = new Var(b, b.param('b', 'f32', [37]));
  const scope = new nn.Scope(b);
  const outs: Record<string, Var> = {
    softmax: x.softmax(-1), log_softmax: x.logSoftmax(-1),
    softmax_masked: masked.softmax(-1), log_softmax_masked: masked.logSoftmax(-1),
    layer_norm: layerNorm(x, w, bias, 1e-5),
    // the nn layers, weights named as torch names them (ln.weight, rms.weight): the same w
    layer_norm_no_bias: new nn.LayerNorm(scope.child('ln'), 37, 1e-5, { bias: false }).forward(x),
    rms_norm: new nn.RMSNorm(scope.child('rms'), 37, 1e-6).forward(x), add_rms_norm: rmsNorm(x.add(r), w, 1e-6),
    ...(axis1 ? { softmax_axis1: x.softmax(1), log_softmax_axis1: x.logSoftmax(1) } : {}),
  };
  for (const [k, v] of Object.entries(outs)) b.output(k, v.value);
  return b.graph;
}

const inputs = new Map(['x', 'r', 'masked'].map((k) => [k, get(k)]));
const weights = new Map([...['w', 'b'].map((k): [string, Tensor] => [k, get(k)]), ['ln.weight', get('w')], ['rms.weight', get('w')]]);

function expectTorch(got: ReadonlyMap<string, Tensor>, names: readonly string[]): void {
  for (const name of names) {
    const [g, want] = [got.get(name)!.data as Float32Array, get(name).data as Float32Array];
    expect(g.length, name).toBe(want.length);
    let worst = 0;
    want.forEach((w, i) => {
      if (Number.isNaN(w)) expect(g[i], `${name}[${i}]`).toBeNaN();
      else worst = Math.max(worst, w === g[i] ? 0 : Math.abs(g[i] - w));
    });
    expect(worst, name).toBeLessThanOrEqual(1e-4);
  }
}

describe('row ops equal PyTorch', () => {
  it('on the interpreter, axis 1 included', () => {
    const g = graph(true);
    expectTorch(interpret(g, inputs, weights), g.outputs.map((o) => o.name));
  });

  it('the pipeline fuses the residual sum into add_rms_norm', () => {
    expect(compileGraph(graph(false)).graph.nodes.filter((n) => n.op === 'add_rms_norm')).toHaveLength(1);
  });

  it.each(backendNames())('on %s', async (name) => {
    const backend = getBackend(name);
    const why = await backend.unavailableReason();
    if (why && process.env.CI === 'true') throw new Error(`backend ${name} must run in CI: ${why}`);
    if (why) return console.warn(`[row-ops-torch] skipping ${name}: ${why}`);
    const g = graph(false);
    const exe = await backend.compile(g, weights);
    try {
      expectTorch(await exe.run(inputs), g.outputs.map((o) => o.name));
    } finally {
      exe.dispose();
    }
  });
});
