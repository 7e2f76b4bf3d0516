// Input and output names of the cached-decoding graphs, per decoder layer: shared by the graphs
// (models.ts), the decoding loop (generation/cached-decoder.ts) and the exported generator, which
// embeds this file as text (backends/scripts/embed.ts), so it imports nothing.

export const CACHE_NAMES = {
  cross: (layer: number) => ({ k: `cross.${layer}.key`, v: `cross.${layer}.value` }),
  past: (layer: number) => ({ k: `past.${layer}.key`, v: `past.${layer}.value` }),
  present: (layer: number) => ({ k: `present.${layer}.key`, v: `present.${layer}.value` }),
} as const;
