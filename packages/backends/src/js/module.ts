// Assembles an emitted JS module with ts-morph: a header naming the model, the runtime library
// (the helper functions of the expression-op records, then render/computed-dims.ts, input-check.ts and
// js/runtime/*.ts, copied with imports and exports dropped), MODEL, the generated kernel
// functions, createModel and load. The TypeScript is transpiled to JavaScript with the typescript
// package; the runtime part is the same for every plan, so it is parsed and transpiled once per
// process. Same plan → same text: nothing here depends on time, paths or hash iteration order.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { KernelPlan } from '@smelt/compiler';
import { type Tensor, targetHelpers } from '@smelt/ir';
import type * as TsMorph from 'ts-morph';
import type { StatementStructures } from 'ts-morph';
import type TypeScript from 'typescript';
import { commentText } from '../render/source-text.ts';
import { stringLiteral } from './expr-js.ts';
import { type ModelSpec, type TensorSpec, buildProgram } from './program.ts';

/** Runtime files in dependency order; each may import only the others (computed dims and the input check are every backend's). */
const RUNTIME_FILES = [
  '../render/computed-dims.ts', '../input-check.ts', ...['geometry.ts', 'movement.ts', 'rows.ts', 'gemm.ts', 'harness.ts'].map((f) => `./runtime/${f}`),
] as const;

export interface ModuleSource {
  readonly typescript: string;
  readonly javascript: string;
  readonly model: ModelSpec;
  readonly constants: ReadonlyMap<string, Tensor>;
}

let toolchain: { readonly morph: typeof TsMorph; readonly ts: typeof TypeScript } | undefined;

/** ts-morph and typescript, loaded on the first emit (not when @smelt/backends is imported: they are large). */
export function tools(): { readonly morph: typeof TsMorph; readonly ts: typeof TypeScript } {
  const require = createRequire(import.meta.url);
  toolchain ??= { morph: require('ts-morph') as typeof TsMorph, ts: require('typescript') as typeof TypeScript };
  return toolchain;
}

/** An in-memory ts-morph project that prints with two-space indentation. */
export function newProject(): TsMorph.Project {
  const { Project, IndentationText } = tools().morph;
  return new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: IndentationText.TwoSpaces } });
}

function transpile(typescript: string): string {
  const { ts } = tools();
  return ts.transpileModule(typescript, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false },
  }).outputText;
}

let runtimeText: { readonly typescript: string; readonly javascript: string } | undefined;

/** The runtime library as one block of module-private code. */
function runtime(): { readonly typescript: string; readonly javascript: string } {
  if (runtimeText !== undefined) return runtimeText;
  const project = newProject();
  const sections = RUNTIME_FILES.map((path) => {
    const file = path.split('/').pop()!;
    const text = fs.readFileSync(new URL(path, import.meta.url), 'utf8');
    const sf = project.createSourceFile(file, text);
    // Cut imports and `export` keywords by position (editing the tree would re-parse it per edit).
    const cuts: [number, number][] = [];
    for (const imp of sf.getImportDeclarations()) {
      if (!/^(\.\.?\/)+([a-z-]+\/)?[a-z-]+\.ts$/.test(imp.getModuleSpecifierValue())) throw new Error(`${path} imports ${imp.getModuleSpecifierValue()}: the runtime must be standalone`);
      cuts.push([imp.getStart(), imp.getEnd()]);
    }
    for (const st of sf.getStatements()) {
      const kw = tools().morph.Node.isExportable(st) ? st.getExportKeyword() : undefined;
      if (kw) cuts.push([kw.getStart(), kw.getEnd() + 1]);
    }
    const body = cuts.sort((a, b) => b[0] - a[0]).reduce((t, [from, to]) => t.slice(0, from) + t.slice(to), text);
    return `// ---- ${path.replace(/^\.\.?\//, '')} ----\n${body.trim()}`;
  });
  const helpers = `// ---- op helpers (the expression-op records' js helpers) ----\n${targetHelpers('js').map((h) => h.source).join('\n\n')}`;
  const typescript = [helpers, ...sections].join('\n\n');
  runtimeText = { typescript, javascript: transpile(typescript) };
  return runtimeText;
}

/** MODEL as an object literal: one tensor per line, every name a JSON string. */
function modelLiteral(model: ModelSpec): string {
  const json = (v: unknown) => stringSafe(JSON.stringify(v));
  const list = (specs: readonly TensorSpec[]) => (specs.length ? `[\n${specs.map((t) => `    ${json(t)},`).join('\n')}\n  ]` : '[]');
  const lists = (['inputs', 'outputs', 'weights', 'constants'] as const).map((k) => `  ${k}: ${list(model[k])},`).join('\n');
  return `{\n  name: ${json(model.name)},\n  symbols: ${json(model.symbols)},\n${lists}\n  computed: ${json(model.computed)},
  contract: ${json(model.contract)},\n}`;
}

const stringSafe = (json: string) => json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const typeText = (t: TensorSpec) => `${t.dtype}[${t.shape.join(', ')}]`;

function header(plan: KernelPlan, model: ModelSpec): string {
  const io = (what: string, list: readonly TensorSpec[]) => list.map((t) => `//   ${what} ${commentText(`${stringLiteral(t.name)} ${typeText(t)}`)}`);
  return [
    `// ${commentText(`Generated by smelt's JS backend from the kernel plan of ${stringLiteral(plan.name)}. Do not edit.`)}`,
    `// ${commentText(`Symbols, bound from the input shapes at each run: ${plan.symbols.join(', ') || '(none)'}.`)}`,
    ...io('input ', model.inputs), ...io('output', model.outputs),
    `// ${plan.kernels.length} kernels per run, ${plan.prologue.length} once at load; weights: ${model.weights.length}.`,
    '// Sections: the runtime library, MODEL, the generated kernels, createModel (load, layout, forward), load.',
  ].join('\n');
}

const MODEL_INTERFACE = `/** A loaded model: run it any number of times, at any symbol values. */
export interface Model {
  /** Run once: named inputs in (a Map or an object), named outputs out; symbolic dims bind from the input shapes. */
  run(inputs: TensorsIn): { [name: string]: HostTensor };
  /** The arena (and its views and kernel geometry) for these symbol values, made once and cached. */
  layout(symbols: readonly number[]): { readonly arena: ArrayBuffer };
  dispose(): void;
}`;

const LOAD_FUNCTION = `/** Read the weights file next to this module (or at \`source\`) and create the model. */
export async function load(source: string | URL = new URL('./weights.safetensors', import.meta.url)): Promise<Model> {
  return createModel(readSafetensors(await readBytes(source)));
}

export { readSafetensors };
export type { HostTensor, ModelSpec, TensorSpec, TensorsIn };`;

/** The module source of a plan, as TypeScript and as JavaScript. */
export function buildModule(plan: KernelPlan): ModuleSource {
  const program = buildProgram(plan);
  const { StructureKind, VariableDeclarationKind } = tools().morph;
  const statements: (string | StatementStructures)[] = [
    '// ---- the model ----',
    {
      kind: StructureKind.VariableStatement, isExported: true, declarationKind: VariableDeclarationKind.Const,
      declarations: [{ name: 'MODEL', type: 'ModelSpec', initializer: modelLiteral(program.model) }],
    },
    ...program.templates.map(({ name, fn }): StatementStructures => ({
      kind: StructureKind.Function, name, docs: [fn.doc], returnType: 'void',
      parameters: fn.params.map((p) => ({ name: p.name, type: p.type })),
      statements: [fn.body.join('\n')],
    })),
    MODEL_INTERFACE,
    {
      kind: StructureKind.Function, name: 'createModel', isExported: true, returnType: 'Model',
      docs: ['Bind the weights (a Map or an object of named tensors), run the prologue and pack B operands: all once.'],
      parameters: [{ name: 'weights', type: 'TensorsIn' }],
      statements: [program.body.join('\n')],
    },
    LOAD_FUNCTION,
  ];
  const generated = newProject().createSourceFile('model.ts', { statements }).getFullText();
  const head = header(plan, program.model);
  const lib = runtime();
  return {
    typescript: [head, lib.typescript, generated].join('\n\n'),
    javascript: [head, lib.javascript, transpile(generated)].join('\n'),
    model: program.model, constants: program.constants,
  };
}
