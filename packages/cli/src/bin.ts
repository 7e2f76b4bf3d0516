#!/usr/bin/env node
// Entry point of the `smelt` command (`pnpm smelt ...` runs it through tsx).

import { main } from './main.ts';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
