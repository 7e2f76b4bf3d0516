// The sources the backends embed as text (scripts/embed.ts: the JS backend's runtime library, the
// WebGPU export's host) are what the script makes of the files they come from: a source file
// edited without `pnpm embed` fails here, naming the stale output.

import { describe, expect, it } from 'vitest';
import { EMBEDDINGS, staleEmbeddings } from '../scripts/embed.ts';

describe('embedded sources', () => {
  it('are up to date (run `pnpm embed` after editing the files they come from)', () => {
    expect(EMBEDDINGS.length).toBeGreaterThan(0);
    expect(staleEmbeddings()).toEqual([]);
  });
});
