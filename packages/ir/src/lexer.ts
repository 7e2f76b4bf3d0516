// Tokens of the textual IR, with line and column for error messages.

export type TokenKind = 'value' | 'global' | 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** For value/global/string tokens: the decoded name or string; otherwise the source text. */
  readonly text: string;
  readonly line: number;
  readonly col: number;
  /** True for %"…" and @"…" names written in quotes. */
  readonly quoted?: boolean;
}

export class IRSyntaxError extends Error {
  constructor(readonly line: number, readonly col: number, message: string) {
    super(`line ${line}, col ${col}: ${message}`);
    this.name = 'IRSyntaxError';
  }
}

const NUMBER = /-?inf|nan|-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_.]*/y;
const NAME = /[A-Za-z0-9_.]+/y;
const JSON_STRING = /"(?:[^"\\\n]|\\.)*"/y;
const WORD_CHAR = /[A-Za-z0-9_.]/;

/** Match a sticky regex at `at`, or null. */
function matchAt(re: RegExp, src: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(src);
  return m ? m[0] : null;
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; lineStart = i; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const col = i - lineStart + 1;
    const push = (kind: TokenKind, text: string, len: number, quoted = false) => { tokens.push({ kind, text, line, col, quoted }); i += len; };
    if (c === '%' || c === '@') {
      const kind: TokenKind = c === '%' ? 'value' : 'global';
      const q = matchAt(JSON_STRING, src, i + 1);
      if (q) { push(kind, decodeString(q, line, col), q.length + 1, true); continue; }
      const m = matchAt(NAME, src, i + 1);
      if (!m) throw new IRSyntaxError(line, col, `expected a name after "${c}"`);
      push(kind, m, m.length + 1);
      continue;
    }
    if (c === '"') {
      const q = matchAt(JSON_STRING, src, i);
      if (!q) throw new IRSyntaxError(line, col, 'unterminated string');
      push('string', decodeString(q, line, col), q.length);
      continue;
    }
    const num = matchAt(NUMBER, src, i);
    // "inf"/"nan" followed by word characters is an identifier (e.g. a symbol named "information").
    if (num && !(/[a-z]/.test(num) && WORD_CHAR.test(src[i + num.length] ?? ''))) {
      push('number', num, num.length);
      continue;
    }
    const id = matchAt(IDENT, src, i);
    if (id) { push('ident', id, id.length); continue; }
    if ('{}()[]<>,=:+-*/'.includes(c)) { push('punct', c, 1); continue; }
    throw new IRSyntaxError(line, col, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

function decodeString(quoted: string, line: number, col: number): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new IRSyntaxError(line, col, `bad string literal ${quoted.slice(0, 40)}`);
  }
}
