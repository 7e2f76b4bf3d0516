// Running the `smelt` command in-process for tests: main(argv) with stdout and stderr captured.

import { vi } from 'vitest';
import { main } from '@smelt/cli';

export async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    return { code: await main([...argv]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
