// Writes the sources that exports embed as text: the JS backend's runtime library (js/runtime/*.ts),
// which begins every emitted module, the WebGPU host (portable-host.ts, aot/host.ts) and the wasm
// loader's helpers, which an exported model.js carries, and the generation loop of @smelt/models
// (generation/*.ts), which an exported generator's model.js runs; each as one block of JavaScript.
// Emitting then needs neither the TypeScript compiler nor a file system, so it is fast and runs in a
// browser, and an export runs the very code the package runs. The output is committed; `pnpm embed`
// writes it again after a source file changes, and `embedded.test.ts` fails while it is stale.
// Dev-time only: this script is not part of any package.
//
// The embedded files share one scope, in order. Their imports are cut; an import is allowed when it
// is type-only, of an earlier embedded file, or when each value it binds is either declared at the
// top level of an earlier embedded file (the same function reached through a package's index, e.g.
// `tensor` of @smelt/ir) or not used by what is embedded (`drop` leaves class members out, such as a
// static compile() that builds graphs). Anything else is an error naming the file and the name.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** packages/: the folder every embedding's `root` is relative to. */
const PACKAGES = new URL('../../', import.meta.url);
const BACKENDS_SRC = 'backends/src/';

/** A piece of source embedded as text: which files, in which order, and the constant that holds them. */
export interface Embedding {
  /** The folder `out` and `files` are relative to, itself relative to packages/ (default backends/src/). */
  readonly root?: string;
  /** The generated file. */
  readonly out: string;
  readonly constant: string;
  /** What the text is, for the generated file's header. */
  readonly about: string;
  /** Files relative to src/, each after those it imports. An import must be type-only or of an earlier file. */
  readonly files: readonly string[];
  /** Files whose `export` keywords stay (the embedded block's own exports); the others' are cut. */
  readonly exporting: readonly string[];
  /** Per file, class members left out (`Class.member`), with their doc comments. */
  readonly drop?: Readonly<Record<string, readonly string[]>>;
}

export const EMBEDDINGS: readonly Embedding[] = [
  {
    out: 'js/runtime-source.ts', constant: 'RUNTIME_JS',
    about: "The JS backend's runtime library, which begins every emitted module (js/module.ts)",
    files: [
      'render/computed-dims.ts', 'input-check.ts', 'resident-checks.ts', 'js/runtime/geometry.ts', 'js/runtime/movement.ts', 'js/runtime/ops.ts',
      'js/runtime/rows.ts', 'js/runtime/gemm.ts', 'js/runtime/harness.ts', 'js/runtime/device-tensors.ts',
    ],
    exporting: [],
  },
  {
    out: 'webgpu/aot/host-source.ts', constant: 'HOST_JS',
    about: "The host of a WebGPU export's model.js (webgpu/aot/model-js.ts): MODEL and load exported",
    files: [
      'render/computed-dims.ts', 'input-check.ts', 'resident-checks.ts', 'webgpu/portable-host.ts', 'webgpu/device-tensors.ts', 'webgpu/token-choice.ts',
      'webgpu/aot/gpu-model.ts', 'webgpu/aot/host.ts',
    ],
    exporting: ['webgpu/aot/host.ts'],
  },
  {
    out: 'wasm/aot/loader-source.ts', constant: 'LOADER_JS',
    about: "What a wasm export's model.js carries besides its own loader (wasm/aot/loader.ts): computed dims, the input check, device tensors in the memory, the pool's run protocol, trap messages",
    files: ['render/computed-dims.ts', 'input-check.ts', 'resident-checks.ts', 'wasm/runtime/resident-heap.ts', 'wasm/runtime/wasm-resident.ts', 'wasm/runtime/pool-run.ts', 'wasm/runtime/trap.ts'],
    exporting: [],
  },
  {
    root: '', out: 'models/src/generation/aot/loop-source.ts', constant: 'LOOP_JS',
    about: "The generation loop of @smelt/models and the host of an exported generator's model.js (generation/aot/model-js.ts): load exported",
    files: [
      'ir/src/dtype.ts', 'ir/src/tensor.ts', 'backends/src/resident-checks.ts', 'backends/src/resident.ts', 'models/src/cache-names.ts',
      'models/src/generation/prng.ts', 'models/src/generation/sampler.ts', 'models/src/generation/options.ts', 'models/src/generation/beam.ts',
      'models/src/generation/rows.ts', 'models/src/generation/cached-decoder.ts', 'models/src/generation/generator.ts',
      'models/src/generation/aot/host.ts',
    ],
    exporting: ['models/src/generation/aot/host.ts'],
    drop: { 'models/src/generation/generator.ts': ['Seq2SeqGenerator.compile'] },
  },
];

const rootOf = (e: Embedding) => new URL(e.root ?? BACKENDS_SRC, PACKAGES);

const read = (e: Embedding, file: string) => fs.readFileSync(new URL(file, rootOf(e)), 'utf8');

/** The text with the class members `drop` names cut out (each must exist). */
function dropMembers(e: Embedding, file: string, text: string): string {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const cuts = (e.drop?.[file] ?? []).map((qualified): [number, number] => {
    const [cls, name] = qualified.split('.');
    const decl = sf.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === cls);
    const member = decl?.members.find((m) => m.name !== undefined && ts.isIdentifier(m.name) && m.name.text === name);
    if (!member) throw new Error(`${file}: drop names ${qualified}, which it does not declare`);
    return [member.getFullStart(), member.getEnd()];
  });
  return cuts.sort((a, b) => b[0] - a[0]).reduce((t, [from, to]) => t.slice(0, from) + t.slice(to), text);
}

/** The names a declaration binds, destructured ones included (`const { a, b: [c] } = x` binds a and c). */
function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** Value names a file declares at its top level (functions, classes, variables, enums). */
function topLevelNames(sf: ts.SourceFile): string[] {
  return sf.statements.flatMap((st) => {
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) return [st.name.text];
    if (ts.isVariableStatement(st) && !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) {
      return st.declarationList.declarations.flatMap((d) => bindingNames(d.name));
    }
    return [];
  });
}

/** Identifiers the file uses as values outside its imports (types, member names and property keys are not uses). */
function valueUses(sf: ts.SourceFile): Set<string> {
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isIdentifier(node)) {
      const p = node.parent;
      const isName = (ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === node;
      if (!isName) used.add(node.text);
    }
    node.forEachChild(visit);
  };
  sf.forEachChild(visit);
  return used;
}

/** The value names an import binds (not those marked `type`). */
function importedValues(st: ts.ImportDeclaration): string[] {
  const clause = st.importClause;
  if (!clause || clause.isTypeOnly) return [];
  const names = clause.name ? [clause.name.text] : [];
  const b = clause.namedBindings;
  if (b && ts.isNamespaceImport(b)) names.push(b.name.text);
  if (b && ts.isNamedImports(b)) names.push(...b.elements.filter((x) => !x.isTypeOnly).map((x) => x.name.text));
  return names;
}

/** One file's TypeScript with its imports cut, and its `export` keywords unless it exports for the block. */
function section(e: Embedding, file: string, declaredBefore: ReadonlySet<string>): { text: string; names: string[] } {
  const text = dropMembers(e, file, read(e, file));
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const earlier = e.files.slice(0, e.files.indexOf(file));
  const used = valueUses(sf);
  const cuts: [number, number][] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      const from = spec.startsWith('.') ? path.posix.join(path.posix.dirname(file), spec) : spec;
      const missing = earlier.includes(from) ? [] : importedValues(st).filter((n) => used.has(n) && !declaredBefore.has(n));
      if (missing.length) throw new Error(`${file} imports ${missing.join(', ')} from ${spec}: an embedded file may use values only from files embedded before it`);
      cuts.push([st.getStart(), st.getEnd()]);
    } else if (ts.isExportDeclaration(st) || ts.isExportAssignment(st)) {
      throw new Error(`${file}: \`${st.getText().split('\n')[0]}\`: export declarations where they are defined`);
    }
    const exported = ts.canHaveModifiers(st) ? ts.getModifiers(st)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
    if (exported && !e.exporting.includes(file)) cuts.push([exported.getStart(), exported.getEnd() + 1]);
  }
  const body = cuts.sort((a, b) => b[0] - a[0]).reduce((t, [from, to]) => t.slice(0, from) + t.slice(to), text);
  return { text: `// ---- ${file} ----\n${body.trim()}`, names: topLevelNames(sf) };
}

/** The embedded files as one block of TypeScript (what a typed emitted module begins with). */
export function embeddedTypescript(e: Embedding): string {
  const declared = new Set<string>();
  return e.files.map((f) => {
    const s = section(e, f, declared);
    for (const n of s.names) {
      if (declared.has(n)) throw new Error(`${f} declares ${n}, which an earlier embedded file declares: the embedded files share one scope`);
      declared.add(n);
    }
    return s.text;
  }).join('\n\n');
}

/** The same block as JavaScript. */
export function embeddedJavascript(e: Embedding): string {
  return ts.transpileModule(embeddedTypescript(e), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false },
  }).outputText.trimEnd();
}

/** The generated file's text: a header, then the JavaScript as an array of JSON string lines. */
export function generatedFile(e: Embedding): string {
  const lines = embeddedJavascript(e).split('\n').map((l) => `  ${JSON.stringify(l)},`);
  return [
    `// Generated by packages/backends/scripts/embed.ts from ${e.files.join(', ')}. Do not edit: run \`pnpm embed\`.`,
    `// ${e.about}, as JavaScript: imports cut, ${e.exporting.length ? `\`export\` kept only in ${e.exporting.join(', ')}` : '`export` keywords cut'}, types erased.`,
    '',
    `export const ${e.constant} = [`,
    ...lines,
    "].join('\\n');",
    '',
  ].join('\n');
}

/** The generated files that differ from what is committed (all of them, relative to src/). */
export function staleEmbeddings(): string[] {
  return EMBEDDINGS.filter((e) => {
    const file = new URL(e.out, rootOf(e));
    return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== generatedFile(e);
  }).map((e) => e.out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const e of EMBEDDINGS) {
    fs.writeFileSync(new URL(e.out, rootOf(e)), generatedFile(e));
    process.stdout.write(`embed: wrote packages/${e.root ?? BACKENDS_SRC}${e.out}\n`);
  }
}
