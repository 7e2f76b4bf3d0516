// Workgroup tree reductions in WGSL (loops start from the uniform's zero so drivers keep them rolled), shared by the row kernels (softmax, LayerNorm) and reduce:
// each invocation contributes a value, log2(size) halving steps combine them in workgroup memory,
// and every invocation gets the result. Called from uniform control flow only (barriers inside).

export const ROW_WG = 64;

/** A reduction function `name(v, li) -> type` with combine expression over `a` and `b`. */
export function workgroupReduceFn(name: string, type: string, combine: string, size = ROW_WG): string {
  return `var<workgroup> ${name}_buf: array<${type}, ${size}>;
fn ${name}(v: ${type}, li: u32) -> ${type} {
  ${name}_buf[li] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u + syms.zero; s > 0u; s = s >> 1u) {
    if (li < s) { let a = ${name}_buf[li]; let b = ${name}_buf[li + s]; ${name}_buf[li] = ${combine}; }
    workgroupBarrier();
  }
  let r = ${name}_buf[0];
  workgroupBarrier();
  return r;
}`;
}

/** argmax over (value, index) pairs: the larger value wins, the smaller index on ties; index 0xffffffff is "none". */
export function workgroupArgmaxFn(type: string, size = ROW_WG): string {
  return `var<workgroup> am_v: array<${type}, ${size}>;
var<workgroup> am_i: array<u32, ${size}>;
fn wg_argmax(v: ${type}, i: u32, li: u32) -> u32 {
  am_v[li] = v; am_i[li] = i;
  workgroupBarrier();
  for (var s = ${size / 2}u + syms.zero; s > 0u; s = s >> 1u) {
    if (li < s) {
      let bi = am_i[li + s]; let bv = am_v[li + s]; let ai = am_i[li]; let av = am_v[li];
      let takeB = bi != 0xffffffffu && (ai == 0xffffffffu || bv > av || (bv == av && bi < ai));
      if (takeB) { am_v[li] = bv; am_i[li] = bi; }
    }
    workgroupBarrier();
  }
  let r = am_i[0];
  workgroupBarrier();
  return select(r, 0u, r == 0xffffffffu);
}`;
}
