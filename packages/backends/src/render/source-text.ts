// Text utilities every source-emitting backend shares: comments that cannot break out of
// themselves, and indented blocks. (How each op is written in JS and WGSL is its record's business:
// @smelt/ir ops/expr/.)

/** Text made safe for a `//` or block comment: no line breaks or other control characters, no comment terminator. */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/\*\//g, '* /');
}

/** Lines of a block: `head {`, the body indented by two spaces, `}`. */
export function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...body.map((l) => (l === '' ? l : `  ${l}`)), '}'];
}
