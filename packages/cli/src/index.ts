// Public API of @smelt/cli: the `smelt` entry point as a function, for tests and embedding.

export { main } from './main.ts';
export { pickBackend } from './backends.ts';
