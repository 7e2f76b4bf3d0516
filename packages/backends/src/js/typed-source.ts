// One generator, two texts: the JS backend writes each module once, with its TypeScript-only text
// (annotations, casts, type declarations) wrapped in two control characters. The JavaScript that
// runs drops what they wrap, which costs a string scan instead of a TypeScript compiler; the
// TypeScript keeps it, and tsc checks it in the tests. No name can bring the markers in: names
// reach generated code only inside string literals (which escape control characters) and comments
// (commentText replaces them).

const OPEN = '\u0001';
const CLOSE = '\u0002';
const TYPED = /\u0001([^\u0001\u0002]*)\u0002/g;
/** Type-only text that fills its lines (an interface, `type L = …;`): the lines go too. */
const TYPED_LINES = /^[ \t]*\u0001[^\u0001\u0002]*\u0002[ \t]*(?:\n|$)/gm;

/** Text that exists only in the TypeScript: `: number`, ` as Float32Array`, `type L = …;`, `!`. */
export const typeOnly = (text: string): string => `${OPEN}${text}${CLOSE}`;

function checked(text: string): string {
  const at = text.search(/[\u0001\u0002]/);
  if (at >= 0) throw new Error(`internal: unbalanced type-only markers in generated code near ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`);
  return text;
}

/** The JavaScript: type-only text removed, with the lines that held nothing else. */
export function javascriptOf(source: string): string {
  return checked(source.replace(TYPED_LINES, '').replace(TYPED, ''));
}

/** The TypeScript: the markers removed, the text they wrap kept. */
export function typescriptOf(source: string): string {
  return checked(source.replace(TYPED, '$1'));
}
