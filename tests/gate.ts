// The gate of the test suites that need something outside Node (a WebGPU adapter, Chromium): where
// it is missing, the suite fails under CI=true (the test command installs it there) and elsewhere
// is skipped with the reason printed.

import { describe, it } from 'vitest';

/** A describe that runs only when `unavailable` is undefined; `needs` names what it needs, `tag` prefixes the skip line. */
export function describeIfAvailable(tag: string, needs: string, unavailable: string | undefined, name: string, body: () => void): void {
  if (unavailable && process.env.CI === 'true') {
    describe(name, () => {
      it(`has ${needs} (CI=true requires it)`, () => {
        throw new Error(`the ${tag} tests cannot run in CI: ${unavailable}`);
      });
    });
    return;
  }
  if (unavailable) console.warn(`[${tag}] skipped "${name}": ${unavailable}`);
  describe.skipIf(unavailable !== undefined)(name, body);
}
