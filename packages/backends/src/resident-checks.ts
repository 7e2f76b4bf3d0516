// What every host of device tensors shares (resident.ts): telling a device tensor from a host one,
// the error for a tensor that is not a live one of this executable, and the check of the rows a
// selection takes. Standalone (no imports), because exported model.js files carry its text
// (scripts/embed.ts): the wasm loader, the WebGPU host and an exported generator's loop.

/** Whether a run value is a device tensor (resident.ts' DeviceTensor) rather than a host tensor. */
export function isDeviceTensor(v: unknown): v is { readonly kind: 'device' } {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'device';
}

/** The error for a device tensor used after dispose() or by an executable that did not make it. */
export function foreignTensor(backend: string, what: string): Error {
  return new Error(`${backend}: ${what} is not a live device tensor of this executable (disposed, or made by another one)`);
}

/** Check `rows` against a tensor's first dim; the bytes of one row. */
export function rowBytes(t: { readonly shape: readonly number[] }, rows: readonly number[], bytesPerElement: number): number {
  const n = t.shape[0];
  for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= n) throw new Error(`selectRows: row ${r} is out of range [0, ${n})`);
  return t.shape.slice(1).reduce((a, b) => a * b, 1) * bytesPerElement;
}
