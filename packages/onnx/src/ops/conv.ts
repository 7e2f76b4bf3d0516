// ONNX Conv with one spatial axis (x [N, C, L]) as smelt's conv1d op (torch's conv1d: stride,
// dilation, groups, symmetric zero padding). Unequal begin/end pads and auto_pad SAME_UPPER /
// SAME_LOWER pad x with zeros first (the Pad converter's concat of fills), then convolve unpadded.
// Two or more spatial axes are refused, naming the node.

import { type Var, conv1d } from '@smelt/ir';
import type { NodeContext } from '../context.ts';
import { padAxis } from './nn.ts';
import type { Converter } from './types.ts';

/** One attribute of a list with an entry per spatial axis (1 here), or its default. */
function single(c: NodeContext, name: string, dflt: number): number {
  const v = c.intList(name);
  if (!v) return dflt;
  if (v.length !== 1) c.badAttr(name, v, 'one entry (1-D convolution)');
  return v[0];
}

/** [begin, end] zero padding of the length axis: the pads attribute or what auto_pad asks for. */
function padsOf(c: NodeContext, x: Var, k: number, stride: number, dilation: number): [number, number] {
  const autoPad = c.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = c.intList('pads') ?? [0, 0];
    if (pads.length !== 2 || pads.some((p) => !(p >= 0))) c.badAttr('pads', pads, 'two non-negative entries [begin, end]');
    return [pads[0], pads[1]];
  }
  if (autoPad === 'VALID') return [0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') c.badAttr('auto_pad', autoPad, 'NOTSET, VALID, SAME_UPPER, SAME_LOWER');
  const len = x.shape[2];
  const span = (k - 1) * dilation + 1;
  // output length ceil(L / stride): the total padding depends on L unless stride is 1
  if (typeof len !== 'number' && stride !== 1) c.unsupported(`auto_pad ${autoPad} with stride ${stride} needs the length known at import, got ${len}`);
  const total = typeof len === 'number' ? Math.max((Math.ceil(len / stride) - 1) * stride + span - len, 0) : span - 1;
  const small = Math.floor(total / 2);
  return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
}

const convOp: Converter = (c) => {
  const x = c.var(0);
  const w = c.var(1);
  if (x.rank !== 3) c.unsupported(`only 1-D Conv is supported (input [N, C, L]), got an input of rank ${x.rank} ([${x.shape.join(', ')}])`);
  if (w.rank !== 3) c.malformed(`the weight must be [M, C / group, k], got [${w.shape.join(', ')}]`);
  const k = w.shape[2];
  if (typeof k !== 'number') return c.malformed(`the kernel size must be known, got ${k}`);
  const kernel = single(c, 'kernel_shape', k);
  if (kernel !== k) c.malformed(`kernel_shape [${kernel}] differs from the weight's kernel size ${k}`);
  const stride = single(c, 'strides', 1);
  const dilation = single(c, 'dilations', 1);
  const groups = c.int('group', 1);
  const [begin, end] = padsOf(c, x, k, stride, dilation);
  const padding = Math.min(begin, end);
  const padded = padAxis(c, x, 2, begin - padding, end - padding, 0);
  return [{ kind: 'var', v: conv1d(padded, w, c.has(2) ? c.var(2) : undefined, { stride, dilation, groups, padding }) }];
};

export const CONV_OPS: Record<string, Converter> = { Conv: convOp };
