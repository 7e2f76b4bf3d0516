// The fusion passes, each as `before` and exact `expected` IR (TVM Relax style), a no-change
// case and a run-twice case, and numerically: the interpreter gives the same outputs before and
// after, on seeded random inputs. Last, the pipeline's precedence: Add & Norm before epilogues.

import { describe, expect, it } from 'vitest';
import { type Graph, type Tensor, type Value, interpret, parseGraph, printGraph, resolveShape, tensor } from '@smelt/ir';
import { optimize } from '../pipeline.ts';
import { ir, runPassOnText } from '../test-util.ts';

/** The pass then dce, as the pipeline runs it (fuse-elementwise leaves the nodes it replaced for dce). */
function fuse(pass: string, text: string): { text: string; changed: boolean } {
  const out = runPassOnText(pass, text);
  return { text: runPassOnText('dce', out.text).text, changed: out.changed };
}

/**
 * Seeded inputs and parameters for `g` at the symbol values `env`: f32 uniform in [-1, 1); bool
 * inputs are key-padding masks (true = padded, about a third of keys) that never pad the first
 * key, so no softmax row is all -inf.
 */
function randomTensors(g: Graph, seed: number, env: ReadonlyMap<string, number>): { inputs: Map<string, Tensor>; params: Map<string, Tensor> } {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const fill = (v: Value): [string, Tensor] => {
    const shape = resolveShape(v.type.shape, env);
    const t = tensor(v.type.dtype, shape);
    const keys = shape.at(-1) ?? 1;
    if (v.type.dtype === 'bool') for (let i = 0; i < t.data.length; i++) t.data[i] = +(i % keys !== 0 && rand() < 0.35);
    else if (v.type.dtype === 'f32') for (let i = 0; i < t.data.length; i++) t.data[i] = rand() * 2 - 1;
    else throw new Error(`randomTensors: no generator for ${v.type.dtype} (${v.name})`);
    return [v.name!, t];
  };
  return { inputs: new Map(g.inputs.map(fill)), params: new Map(g.params.map(fill)) };
}

const ENV = new Map([['batch', 2], ['seq', 5]]);

/** interpret(before) and interpret(after) agree on every output to 1e-5 (relative above 1). */
function expectSameOutputs(beforeText: string, afterText: string, seed = 1): void {
  const before = parseGraph(beforeText);
  const { inputs, params } = randomTensors(before, seed, ENV);
  const want = interpret(before, inputs, params);
  const got = interpret(parseGraph(afterText), inputs, params);
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.shape, name).toEqual(w.shape);
    let worst = 0;
    w.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(Number(g.data[i]) - Number(x)) / Math.max(1, Math.abs(Number(x))))));
    expect(worst, name).toBeLessThanOrEqual(1e-5);
  }
}

/** A pass's output run through the pass again is unchanged. */
function expectIdempotent(pass: string, text: string): void {
  const once = runPassOnText(pass, text).text;
  expect(runPassOnText(pass, once)).toEqual({ text: once, changed: false });
}

describe('fuse-layer-norm', () => {
  const before = ir`
    graph @g {
      input %x : f32[batch, seq, 4]
      param %w : f32[4]
      param %b : f32[4]
      %0 = reduce_mean(%x) {axes = [-1], keepdims = true} : f32[batch, seq, 1]
      %1 = sub(%x, %0) : f32[batch, seq, 4]
      %2 = constant() {value = dense<f32[], 2>} : f32[]
      %3 = pow(%1, %2) : f32[batch, seq, 4]
      %4 = reduce_mean(%3) {axes = [-1], keepdims = true} : f32[batch, seq, 1]
      %5 = constant() {value = dense<f32[], 0.5>} : f32[]
      %6 = add(%4, %5) : f32[batch, seq, 1]
      %7 = sqrt(%6) : f32[batch, seq, 1]
      %8 = div(%1, %7) : f32[batch, seq, 4]
      %9 = mul(%8, %w) : f32[batch, seq, 4]
      %10 = add(%9, %b) : f32[batch, seq, 4]
      output y = %10
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, seq, 4]
      param %w : f32[4]
      param %b : f32[4]
      %0 = layer_norm(%x, %w, %b) {eps = 0.5} : f32[batch, seq, 4]
      output y = %0
    }`;

  it('recognizes LayerNorm written in primitives (ONNX before opset 17)', () => {
    expect(fuse('fuse-layer-norm', before)).toEqual({ text: expected, changed: true });
  });

  it('leaves a cube instead of the square, and a norm over another axis', () => {
    const cubed = before.replace('%2 = constant() {value = dense<f32[], 2>}', '%2 = constant() {value = dense<f32[], 3>}');
    expect(runPassOnText('fuse-layer-norm', cubed)).toEqual({ text: cubed, changed: false });
    const text = before.replaceAll('{axes = [-1], keepdims = true} : f32[batch, seq, 1]', '{axes = [1], keepdims = true} : f32[batch, 1, 4]')
      .replaceAll(') : f32[batch, seq, 1]', ') : f32[batch, 1, 4]');
    expect(runPassOnText('fuse-layer-norm', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-layer-norm', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-layer-norm: RMSNorm', () => {
  // Llama's RMSNorm as torch exports it: w * (x * (1 / sqrt(mean(x²) + eps)))
  const before = ir`
    graph @g {
      input %x : f32[batch, seq, 4]
      param %w : f32[4]
      %0 = constant() {value = dense<f32[], 2>} : f32[]
      %1 = pow(%x, %0) : f32[batch, seq, 4]
      %2 = reduce_mean(%1) {axes = [2], keepdims = true} : f32[batch, seq, 1]
      %3 = constant() {value = dense<f32[], 0.25>} : f32[]
      %4 = add(%2, %3) : f32[batch, seq, 1]
      %5 = sqrt(%4) : f32[batch, seq, 1]
      %6 = constant() {value = dense<f32[], 1>} : f32[]
      %7 = div(%6, %5) : f32[batch, seq, 1]
      %8 = mul(%x, %7) : f32[batch, seq, 4]
      %9 = mul(%w, %8) : f32[batch, seq, 4]
      output y = %9
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, seq, 4]
      param %w : f32[4]
      %0 = rms_norm(%x, %w) {eps = 0.25} : f32[batch, seq, 4]
      output y = %0
    }`;

  it('recognizes RMSNorm written in primitives (x times the reciprocal, or x divided by the root)', () => {
    expect(fuse('fuse-layer-norm', before)).toEqual({ text: expected, changed: true });
    const divided = before.replace('%8 = mul(%x, %7)', '%8 = div(%x, %5)');
    expect(fuse('fuse-layer-norm', divided)).toEqual({ text: expected, changed: true });
  });

  it('leaves a mean of another value\'s square, a weight of another size and a norm over another axis', () => {
    const other = before.replace('input %x : f32[batch, seq, 4]', 'input %x : f32[batch, seq, 4]\n  input %z : f32[batch, seq, 4]').replace('pow(%x, %0)', 'pow(%z, %0)');
    expect(runPassOnText('fuse-layer-norm', other)).toEqual({ text: other, changed: false });
    const wide = before.replace('param %w : f32[4]', 'param %w : f32[1]');
    expect(runPassOnText('fuse-layer-norm', wide)).toEqual({ text: wide, changed: false });
    const axis = before.replace('{axes = [2], keepdims = true} : f32[batch, seq, 1]', '{axes = [1], keepdims = true} : f32[batch, 1, 4]')
      .replaceAll(') : f32[batch, seq, 1]', ') : f32[batch, 1, 4]');
    expect(runPassOnText('fuse-layer-norm', axis)).toEqual({ text: axis, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-layer-norm', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-scale-softmax', () => {
  const before = ir`
    graph @g {
      input %x : f32[batch, 2, seq, seq]
      input %pad : bool[batch, seq]
      %0 = constant() {value = dense<f32[], -inf>} : f32[]
      %1 = constant() {value = dense<f32[], 0>} : f32[]
      %2 = where(%pad, %0, %1) : f32[batch, seq]
      %3 = reshape(%2) {shape = [batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
      %4 = constant() {value = dense<f32[], 0.5>} : f32[]
      %5 = mul(%x, %4) : f32[batch, 2, seq, seq]
      %6 = add(%5, %3) : f32[batch, 2, seq, seq]
      %7 = softmax(%6) {axis = -1} : f32[batch, 2, seq, seq]
      output y = %7
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, 2, seq, seq]
      input %pad : bool[batch, seq]
      %0 = constant() {value = dense<f32[], -inf>} : f32[]
      %1 = constant() {value = dense<f32[], 0>} : f32[]
      %2 = where(%pad, %0, %1) : f32[batch, seq]
      %3 = reshape(%2) {shape = [batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
      %4 = scaled_masked_softmax(%x, %3) {scale = 0.5} : f32[batch, 2, seq, seq]
      output y = %4
    }`;

  it('folds the scale and the padding mask into the softmax', () => {
    expect(fuse('fuse-scale-softmax', before)).toEqual({ text: expected, changed: true });
  });

  it('leaves a softmax that is not over the last axis', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, seq, 4]
        %0 = constant() {value = dense<f32[], 0.5>} : f32[]
        %1 = mul(%x, %0) : f32[batch, seq, 4]
        %2 = softmax(%1) {axis = 1} : f32[batch, seq, 4]
        output y = %2
      }`;
    expect(runPassOnText('fuse-scale-softmax', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-scale-softmax', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-attention', () => {
  const before = ir`
    graph @g {
      input %q : f32[batch, 2, seq, 4]
      input %k : f32[batch, 2, seq, 4]
      input %v : f32[batch, 2, seq, 4]
      input %pad : bool[batch, seq]
      %0 = iota() {shape = [seq, seq], axis = 0, dtype = i32} : i32[seq, seq]
      %1 = iota() {shape = [seq, seq], axis = 1, dtype = i32} : i32[seq, seq]
      %2 = gt(%1, %0) : bool[seq, seq]
      %3 = constant() {value = dense<f32[], -inf>} : f32[]
      %4 = constant() {value = dense<f32[], 0>} : f32[]
      %5 = where(%2, %3, %4) : f32[seq, seq]
      %6 = where(%pad, %3, %4) : f32[batch, seq]
      %7 = reshape(%6) {shape = [batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
      %8 = add(%5, %7) : f32[batch, 1, seq, seq]
      %9 = matmul(%q, %k) {transA = false, transB = true} : f32[batch, 2, seq, seq]
      %10 = scaled_masked_softmax(%9, %8) {scale = 0.5} : f32[batch, 2, seq, seq]
      %11 = matmul(%10, %v) {transA = false, transB = false} : f32[batch, 2, seq, 4]
      output y = %11
    }`;
  const expected = ir`
    graph @g {
      input %q : f32[batch, 2, seq, 4]
      input %k : f32[batch, 2, seq, 4]
      input %v : f32[batch, 2, seq, 4]
      input %pad : bool[batch, seq]
      %0 = constant() {value = dense<f32[], -inf>} : f32[]
      %1 = constant() {value = dense<f32[], 0>} : f32[]
      %2 = where(%pad, %0, %1) : f32[batch, seq]
      %3 = reshape(%2) {shape = [batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
      %4 = attention(%q, %k, %v, %3) {scale = 0.5, causal = true} : f32[batch, 2, seq, 4]
      output y = %4
    }`;

  it('turns q@kᵀ → masked softmax → @v into attention, the causal mask into the flag', () => {
    expect(fuse('fuse-attention', before)).toEqual({ text: expected, changed: true });
  });

  it('keeps a causal-looking mask as an operand when the scores are not square', () => {
    const out = fuse('fuse-attention', ir`
      graph @g {
        input %q : f32[batch, tq, 4]
        input %k : f32[batch, tk, 4]
        input %v : f32[batch, tk, 4]
        %0 = iota() {shape = [tq, tk], axis = 0, dtype = i32} : i32[tq, tk]
        %1 = iota() {shape = [tq, tk], axis = 1, dtype = i32} : i32[tq, tk]
        %2 = gt(%1, %0) : bool[tq, tk]
        %3 = constant() {value = dense<f32[], -inf>} : f32[]
        %4 = constant() {value = dense<f32[], 0>} : f32[]
        %5 = where(%2, %3, %4) : f32[tq, tk]
        %6 = matmul(%q, %k) {transA = false, transB = true} : f32[batch, tq, tk]
        %7 = scaled_masked_softmax(%6, %5) {scale = 0.5} : f32[batch, tq, tk]
        %8 = matmul(%7, %v) {transA = false, transB = false} : f32[batch, tq, 4]
        output y = %8
      }`);
    expect(out.text).toContain('%6 = attention(%q, %k, %v, %5) {scale = 0.5, causal = false} : f32[batch, tq, 4]');
  });

  it('leaves attention whose probabilities are also read elsewhere', () => {
    const text = ir`
      graph @g {
        input %q : f32[batch, 2, seq, 4]
        input %k : f32[batch, 2, seq, 4]
        input %v : f32[batch, 2, seq, 4]
        %0 = matmul(%q, %k) {transA = false, transB = true} : f32[batch, 2, seq, seq]
        %1 = scaled_masked_softmax(%0) {scale = 0.5} : f32[batch, 2, seq, seq]
        %2 = matmul(%1, %v) {transA = false, transB = false} : f32[batch, 2, seq, 4]
        output y = %2
        output probs = %1
      }`;
    expect(runPassOnText('fuse-attention', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-attention', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-add-layer-norm', () => {
  const before = ir`
    graph @g {
      input %x : f32[batch, seq, 8]
      input %h : f32[batch, seq, 8]
      param %w : f32[8]
      param %b : f32[8]
      %0 = add(%x, %h) : f32[batch, seq, 8]
      %1 = layer_norm(%0, %w, %b) {eps = 0.5} : f32[batch, seq, 8]
      %2 = tanh(%1) : f32[batch, seq, 8]
      %3 = add(%0, %2) : f32[batch, seq, 8]
      output y = %3
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, seq, 8]
      input %h : f32[batch, seq, 8]
      param %w : f32[8]
      param %b : f32[8]
      %0, %1 = add_layer_norm(%x, %h, %w, %b) {eps = 0.5} : f32[batch, seq, 8], f32[batch, seq, 8]
      %2 = tanh(%0) : f32[batch, seq, 8]
      %3 = add(%1, %2) : f32[batch, seq, 8]
      output y = %3
    }`;

  it('folds the residual add into the LayerNorm and keeps the sum for the residual stream', () => {
    expect(fuse('fuse-add-layer-norm', before)).toEqual({ text: expected, changed: true });
  });

  it('leaves an add whose operands both broadcast up to the sum', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 1, 8]
        input %pe : f32[1, seq, 8]
        param %w : f32[8]
        param %b : f32[8]
        %0 = add(%x, %pe) : f32[batch, seq, 8]
        %1 = layer_norm(%0, %w, %b) {eps = 0.5} : f32[batch, seq, 8]
        output y = %1
      }`;
    expect(runPassOnText('fuse-add-layer-norm', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-add-layer-norm', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-add-rms-norm', () => {
  // Two pre-norm residual blocks (Llama style): each norm reads the residual stream x + h.
  const before = ir`
    graph @g {
      input %x : f32[batch, seq, 8]
      input %h : f32[batch, seq, 8]
      input %g : f32[batch, 1, 8]
      param %w1 : f32[8]
      param %w2 : f32[8]
      %0 = add(%h, %x) : f32[batch, seq, 8]
      %1 = rms_norm(%0, %w1) {eps = 0.000001} : f32[batch, seq, 8]
      %2 = add(%0, %g) : f32[batch, seq, 8]
      %3 = rms_norm(%2, %w2) {eps = 0.000001} : f32[batch, seq, 8]
      %4 = mul(%1, %3) : f32[batch, seq, 8]
      %5 = add(%2, %4) : f32[batch, seq, 8]
      output y = %5
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, seq, 8]
      input %h : f32[batch, seq, 8]
      input %g : f32[batch, 1, 8]
      param %w1 : f32[8]
      param %w2 : f32[8]
      %0, %1 = add_rms_norm(%h, %x, %w1) {eps = 0.000001} : f32[batch, seq, 8], f32[batch, seq, 8]
      %2, %3 = add_rms_norm(%1, %g, %w2) {eps = 0.000001} : f32[batch, seq, 8], f32[batch, seq, 8]
      %4 = mul(%0, %2) : f32[batch, seq, 8]
      %5 = add(%3, %4) : f32[batch, seq, 8]
      output y = %5
    }`;
  const count = (text: string, op: string) => text.split(`= ${op}(`).length - 1;

  it('folds each residual add into its RMSNorm (a broadcast residual too) and keeps the sum', () => {
    const out = fuse('fuse-add-rms-norm', before);
    expect(out).toEqual({ text: expected, changed: true });
    expect([count(before, 'add_rms_norm'), count(out.text, 'add_rms_norm'), count(out.text, 'rms_norm')]).toEqual([0, 2, 0]);
  });

  it('leaves an rms_norm of anything but such an add', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 1, 8]
        input %pe : f32[1, seq, 8]
        param %w : f32[8]
        %0 = add(%x, %pe) : f32[batch, seq, 8]
        %1 = rms_norm(%0, %w) {eps = 0.00001} : f32[batch, seq, 8]
        %2 = mul(%1, %1) : f32[batch, seq, 8]
        %3 = rms_norm(%2, %w) {eps = 0.00001} : f32[batch, seq, 8]
        output y = %3
      }`;
    expect(runPassOnText('fuse-add-rms-norm', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-add-rms-norm', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));

  it('fires in the pipeline before matmul epilogues take the add', () => {
    const g = optimize(parseGraph(before), { verifyEach: true }).graph;
    expect(g.nodes.filter((n) => n.op === 'add_rms_norm')).toHaveLength(2);
  });
});

describe('fuse-matmul-epilogue', () => {
  const before = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %r : f32[batch, 4]
      param %w : f32[4, 8]
      param %b : f32[4]
      %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
      %1 = add(%0, %b) : f32[batch, 4]
      %2 = gelu(%1) {approximate = "none"} : f32[batch, 4]
      %3 = add(%r, %2) : f32[batch, 4]
      output y = %3
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %r : f32[batch, 4]
      param %w : f32[4, 8]
      param %b : f32[4]
      %0 = linear(%x, %w, %b, %r) {transB = true, epilogue = "add($2, gelu(add($0, $1)))"} : f32[batch, 4]
      output y = %0
    }`;

  it('folds bias, activation and residual into one linear', () => {
    expect(fuse('fuse-matmul-epilogue', before)).toEqual({ text: expected, changed: true });
  });

  // Any elementwise chain that keeps the product's shape and f32 dtype: tanh, a scalar constant
  // (inlined as a literal), PyTorch's tanh GELU, SiLU, an operand used twice (one extra).
  const chain = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %s : f32[batch, 1]
      param %w : f32[8, 4]
      param %b : f32[4]
      %0 = constant() {value = dense<f32[], 0.5>} : f32[]
      %1 = matmul(%x, %w) {transA = false, transB = false} : f32[batch, 4]
      %2 = add(%b, %1) : f32[batch, 4]
      %3 = tanh(%2) : f32[batch, 4]
      %4 = mul(%3, %0) : f32[batch, 4]
      %5 = gelu(%4) {approximate = "tanh"} : f32[batch, 4]
      %6 = silu(%5) : f32[batch, 4]
      %7 = mul(%6, %s) : f32[batch, 4]
      %8 = sub(%7, %s) : f32[batch, 4]
      output y = %8
    }`;
  const chainFused = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %s : f32[batch, 1]
      param %w : f32[8, 4]
      param %b : f32[4]
      %0 = linear(%x, %w, %b, %s) {transB = false, epilogue = "sub(mul(silu(gelu_tanh(mul(tanh(add($1, $0)), 0.5))), $2), $2)"} : f32[batch, 4]
      output y = %0
    }`;

  it('folds any elementwise chain: tanh, a literal, gelu_tanh, silu, an operand read twice', () => {
    expect(fuse('fuse-matmul-epilogue', chain)).toEqual({ text: chainFused, changed: true });
    expectSameOutputs(chain, chainFused);
  });

  it('stops at an op that reads a non-f32 operand or grows the shape', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 8]
        input %m : bool[batch, 4]
        input %z : f32[batch, 4]
        param %w : f32[4, 8]
        param %k : f32[3, batch, 4]
        %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
        %1 = relu(%0) : f32[batch, 4]
        %2 = where(%m, %1, %z) : f32[batch, 4]
        %3 = matmul(%z, %w) {transA = false, transB = false} : f32[batch, 8]
        %4 = matmul(%3, %w) {transA = false, transB = true} : f32[batch, 4]
        %5 = add(%4, %k) : f32[3, batch, 4]
        output y = %2
        output v = %5
      }`;
    const after = ir`
      graph @g {
        input %x : f32[batch, 8]
        input %m : bool[batch, 4]
        input %z : f32[batch, 4]
        param %w : f32[4, 8]
        param %k : f32[3, batch, 4]
        %0 = linear(%x, %w) {transB = true, epilogue = "relu($0)"} : f32[batch, 4]
        %1 = where(%m, %0, %z) : f32[batch, 4]
        %2 = matmul(%z, %w) {transA = false, transB = false} : f32[batch, 8]
        %3 = matmul(%2, %w) {transA = false, transB = true} : f32[batch, 4]
        %4 = add(%3, %k) : f32[3, batch, 4]
        output y = %1
        output v = %4
      }`;
    expect(fuse('fuse-matmul-epilogue', text)).toEqual({ text: after, changed: true });
  });

  it('leaves a matmul whose result has two users: the bias cannot fold', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        param %b : f32[4]
        %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
        %1 = add(%0, %b) : f32[batch, 4]
        %2 = mul(%0, %1) : f32[batch, 4]
        output y = %2
      }`;
    expect(runPassOnText('fuse-matmul-epilogue', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-matmul-epilogue', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fuse-elementwise', () => {
  const before = ir`
    graph @g {
      input %x : f32[batch, 4]
      input %y : f32[batch, 4]
      param %b : f32[4]
      %0 = constant() {value = dense<f32[], 2>} : f32[]
      %1 = mul(%x, %0) : f32[batch, 4]
      %2 = add(%1, %b) : f32[batch, 4]
      %3 = sub(%2, %y) : f32[batch, 4]
      %4 = tanh(%3) : f32[batch, 4]
      output z = %4
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, 4]
      input %y : f32[batch, 4]
      param %b : f32[4]
      %0 = fused_elementwise(%x, %b, %y) {expr = "tanh(sub(add(mul($0, 2), $1), $2))"} : f32[batch, 4]
      output z = %0
    }`;

  it('turns a chain into one fused_elementwise, the scalar a literal, the bias a broadcast operand', () => {
    expect(fuse('fuse-elementwise', before)).toEqual({ text: expected, changed: true });
  });

  it('leaves a producer with a smaller (broadcast) shape or a second reader unfused', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 4]
        param %b : f32[4]
        %0 = exp(%b) : f32[4]
        %1 = add(%x, %0) : f32[batch, 4]
        %2 = tanh(%1) : f32[batch, 4]
        output y = %2
        output pre = %1
      }`;
    expect(runPassOnText('fuse-elementwise', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => expectIdempotent('fuse-elementwise', before));

  it('fused == unfused', () => expectSameOutputs(before, expected));
});

describe('fusion precedence in the pipeline', () => {
  // x + (h @ wᵀ + b) feeding a LayerNorm: the add is Add & Norm's, the matmul keeps only its bias.
  const before = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %h : f32[batch, 8]
      param %w : f32[8, 8]
      param %b : f32[8]
      param %norm.weight : f32[8]
      param %norm.bias : f32[8]
      %0 = matmul(%h, %w) {transA = false, transB = true} : f32[batch, 8]
      %1 = add(%0, %b) : f32[batch, 8]
      %2 = add(%x, %1) : f32[batch, 8]
      %3 = layer_norm(%2, %norm.weight, %norm.bias) {eps = 0.5} : f32[batch, 8]
      output y = %3
    }`;
  const expected = ir`
    graph @g {
      input %x : f32[batch, 8]
      input %h : f32[batch, 8]
      param %w : f32[8, 8]
      param %b : f32[8]
      param %norm.weight : f32[8]
      param %norm.bias : f32[8]
      %0 = linear(%h, %w, %b) {transB = true, epilogue = "add($0, $1)"} : f32[batch, 8]
      %1, %2 = add_layer_norm(%x, %0, %norm.weight, %norm.bias) {eps = 0.5} : f32[batch, 8], f32[batch, 8]
      output y = %1
    }`;

  it('an add feeding layer_norm becomes add_layer_norm, not a linear residual', () => {
    const after = printGraph(optimize(parseGraph(before), { verifyEach: true }).graph);
    expect(after).toBe(expected);
    expectSameOutputs(before, after);
  });
});
