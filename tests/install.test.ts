// smelt as a user installs it. scripts/pack.sh builds the packages and packs them; in an empty
// folder outside the repository, `npm install` takes the tarballs offline with an empty npm cache
// (so the optional `webgpu` cannot come and nothing else may be needed from a registry); protobufjs
// and its dependencies (for @smelt/onnx) come as tarballs made from this workspace's installed copies
// (vendor-tarballs.ts). Then plain
// Node, with no tsx, pnpm or TypeScript to find there, runs `npx smelt --help`, `smelt compile`,
// `smelt generate` with the trained toy model (which reverses digit sequences), `smelt inspect
// --format html`, and a script that imports @smelt/ir, /compiler, /backends and their /node entries
// and checks the js and wasm backends against the interpreter. An ONNX file written by @smelt/onnx's
// exportOnnx from a DSL-built graph goes through `smelt import`, `smelt run --model` (outputs as the
// interpreter's) and `smelt compile --model … --target onnx`. The packages' .d.ts files type-check a consumer.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vendorTarballs } from './vendor-tarballs.ts';

const ROOT = path.resolve(__dirname, '..');
const TOY = path.join(ROOT, 'examples/transformer/toy-reverse');
const PACKAGES = ['backends', 'cli', 'compiler', 'ir', 'models', 'onnx', 'viewer'];

let tmp = '';
let app = '';
let vendored: string[] = [];
/** A clean environment: nothing from the test runner's module loading reaches the user's commands. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NODE_OPTIONS', 'NODE_PATH'].includes(k) && !k.startsWith('VITEST')));
const run = (cmd: string, args: readonly string[], cwd = app) => execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const USE = `
import { GraphBuilder, input, interpret, nn, tensor } from '@smelt/ir';
import { readSafetensors, writeSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { backendNames, getBackend } from '@smelt/backends';
import { exportModule } from '@smelt/backends/node';
const b = new GraphBuilder('mlp');
const x = input(b, 'x', 'f32', ['batch', 8]);
b.output('y', new nn.Linear(new nn.Scope(b, 'fc'), 8, 4).forward(x).relu().value);
const weights = new Map(b.graph.params.map((p, i) => [p.name, tensor('f32', p.type.shape, Float32Array.from({ length: p.type.shape.reduce((a, n) => a * n, 1) }, (_, j) => Math.sin(i + j)))]));
const inputs = new Map([['x', tensor('f32', [3, 8], Float32Array.from({ length: 24 }, (_, j) => Math.cos(j)))]]);
const want = interpret(b.graph, inputs, weights).get('y').data;
const errors = {};
for (const name of ['js', 'wasm']) {
  const got = (await (await getBackend(name).compile(b.graph, weights)).run(inputs)).get('y').data;
  errors[name] = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
}
writeSafetensors('w.safetensors', weights);
const exported = await exportModule(getBackend('js'), b.graph, readSafetensors('w.safetensors'), 'mlp');
console.log(JSON.stringify({ backends: backendNames(), kernels: compileGraph(b.graph).plan.kernels.length, errors, exported: exported.files.map((f) => f.split('/').pop()) }));
`;

const ONNX_USE = `
import fs from 'node:fs';
import { GraphBuilder, input, interpret, nn, tensor } from '@smelt/ir';
import { writeSafetensors } from '@smelt/ir/node';
import { exportOnnx, importOnnx } from '@smelt/onnx';
const b = new GraphBuilder('mlp');
const x = input(b, 'x', 'f32', ['batch', 8]);
b.output('y', new nn.Linear(new nn.Scope(b, 'fc'), 8, 4).forward(x).gelu().value);
const weights = new Map(b.graph.params.map((p, i) => [p.name, tensor('f32', p.type.shape, Float32Array.from({ length: p.type.shape.reduce((a, n) => a * n, 1) }, (_, j) => Math.sin(3 * i + j)))]));
const inputs = new Map([['x', tensor('f32', [2, 8], Float32Array.from({ length: 16 }, (_, j) => Math.cos(j)))]]);
const want = interpret(b.graph, inputs, weights).get('y');
fs.writeFileSync('model.onnx', exportOnnx(b.graph, weights));
const m = importOnnx(fs.readFileSync('model.onnx'), { file: 'model.onnx' });
const got = interpret(m.graph, inputs, m.weights).get('y').data;
writeSafetensors('onnx-inputs.safetensors', inputs);
writeSafetensors('onnx-want.safetensors', new Map([['y', want]]));
console.log(JSON.stringify({ inputs: m.graph.inputs.map((v) => v.name), outputs: m.graph.outputs.map((o) => o.name), params: m.weights.size, error: Math.max(...Array.from(got, (v, i) => Math.abs(v - want.data[i]))) }));
`;

const CONSUMER = `
import { GraphBuilder, input, nn, type Tensor } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { getBackend } from '@smelt/backends';
import { exportModule } from '@smelt/backends/node';
import { type ImportedModel, exportOnnx, importOnnx } from '@smelt/onnx';
import { readOnnx } from '@smelt/onnx/node';
const b = new GraphBuilder('c');
const x = input(b, 'x', 'f32', ['batch', 4]);
b.output('y', new nn.Linear(new nn.Scope(b, 'fc'), 4, 2).forward(x).value);
export const kernels: number = compileGraph(b.graph).plan.kernels.length;
const weights: Map<string, Tensor> = readSafetensors('w.safetensors');
export const exe = await getBackend('js').compile(b.graph, weights);
export const files = await exportModule(getBackend('wasm'), b.graph, weights, 'out');
export const onnx: ImportedModel = importOnnx(exportOnnx(b.graph, weights));
export const onnxFile: Map<string, Tensor> = readOnnx('model.onnx').weights;
// @ts-expect-error: the types are smelt's, not any: a backend's name is a string
export const wrong: number = getBackend('js').name;
`;

describe('smelt installed from its tarballs', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-install-'));
    app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    run('bash', [path.join(ROOT, 'scripts/pack.sh'), path.join(tmp, 'tarballs')], ROOT);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const tarballs = fs.readdirSync(path.join(tmp, 'tarballs')).map((f) => path.join(tmp, 'tarballs', f));
    vendored = vendorTarballs(PACKAGES.map((p) => path.join(ROOT, 'packages', p)), path.join(tmp, 'vendor'));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--cache', path.join(tmp, 'npm-cache'), ...tarballs, ...vendored]);
    for (const f of ['config.json', 'weights.safetensors']) fs.copyFileSync(path.join(TOY, f), path.join(app, f));
  }, 600_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('packs dist/ and package.json only, one tarball per package', () => {
    const tarballs = fs.readdirSync(path.join(tmp, 'tarballs')).sort();
    expect(tarballs).toEqual(PACKAGES.map((p) => `smelt-${p}-0.1.0.tgz`));
    for (const t of tarballs) {
      const files = run('tar', ['-tzf', path.join(tmp, 'tarballs', t)]).trim().split('\n');
      expect(files.filter((f) => f !== 'package/package.json' && !/^package\/dist\/.+\.(js|d\.ts|js\.map)$/.test(f)), t).toEqual([]);
      expect(files.filter((f) => f.includes('.test.')), t).toEqual([]);
    }
  });

  it('installed smelt and protobufjs alone: no tsx, pnpm or TypeScript to import', () => {
    const thirdParty = vendored.map((f) => JSON.parse(run('tar', ['-xzOf', f, 'package/package.json'])).name as string);
    expect(thirdParty).toContain('protobufjs');
    const top = [...new Set(['@smelt', ...thirdParty.map((n) => n.split('/')[0])])].sort();
    expect(fs.readdirSync(path.join(app, 'node_modules')).filter((d) => !d.startsWith('.')).sort()).toEqual(top);
    for (const name of ['typescript', 'tsx', 'pnpm']) {
      expect(run('node', ['--input-type=module', '-e', `import('${name}').then(() => console.log('found'), () => console.log('absent'))`]).trim(), name).toBe('absent');
    }
  });

  it('npx smelt --help', () => {
    expect(run('npx', ['--no', '--', 'smelt', '--help'])).toMatch(/^usage: smelt <command> \[options\]/);
  });

  it('imports every package from plain Node: js and wasm compile and run like the interpreter; an export is written', () => {
    fs.writeFileSync(path.join(app, 'use.mjs'), USE);
    const out = JSON.parse(run('node', ['use.mjs']));
    expect(out.backends).toEqual(['reference', 'js', 'wasm', 'webgpu']);
    expect(out.kernels).toBeGreaterThan(0);
    for (const name of ['js', 'wasm']) expect(out.errors[name], name).toBeLessThanOrEqual(1e-6);
    expect(out.exported).toEqual(['model.js', 'model.d.ts', 'weights.safetensors', 'package.json']);
  });

  it('npx smelt compile and npx smelt generate with the trained toy model (it reverses 3 5 7 9)', () => {
    const write = "import { tensor } from '@smelt/ir'; import { writeSafetensors } from '@smelt/ir/node'; writeSafetensors('inputs.safetensors', { src: tensor('i32', [1, 4], Int32Array.of(6, 8, 10, 12)) });";
    run('node', ['--input-type=module', '-e', write]);
    const compiled = run('npx', ['--no', '--', 'smelt', 'compile', '--config', 'config.json', '--weights', 'weights.safetensors', '--target', 'wasm', '--graph', 'encoder', '--out', 'encoder']);
    expect(compiled).toMatch(/^compile: seq2seq \(encoder\) for wasm: wrote/);
    expect(fs.readdirSync(path.join(app, 'encoder'))).toEqual(expect.arrayContaining(['model.js', 'model.wasm', 'model.bin', 'model.d.ts']));
    run('npx', ['--no', '--', 'smelt', 'generate', '--config', 'config.json', '--weights', 'weights.safetensors', '--inputs', 'inputs.safetensors', '--out', 'tokens.safetensors', '--backend', 'js']);
    const read = "import { readSafetensors } from '@smelt/ir/node'; console.log(JSON.stringify(Array.from(readSafetensors('tokens.safetensors').get('tokens').data)));";
    expect(JSON.parse(run('node', ['--input-type=module', '-e', read]))).toEqual([1, 3 + 9, 3 + 7, 3 + 5, 3 + 3, 2]);
  });

  it('ONNX: exportOnnx and importOnnx from plain Node; npx smelt import, run --model and compile --target onnx', () => {
    fs.writeFileSync(path.join(app, 'onnx.mjs'), ONNX_USE);
    const out = JSON.parse(run('node', ['onnx.mjs']));
    expect(out.inputs).toEqual(['x']);
    expect(out.outputs).toEqual(['y']);
    expect(out.error).toBeLessThanOrEqual(1e-6);
    expect(out.params).toBe(2);
    // smelt import: the IR text and the weights.
    expect(run('npx', ['--no', '--', 'smelt', 'import', 'model.onnx', '--out', 'imported'])).toMatch(/^import: model\.onnx \(opset 17, from smelt\): wrote model\.smelt/);
    expect(fs.readdirSync(path.join(app, 'imported')).sort()).toEqual(['model.smelt', 'weights.safetensors']);
    expect(fs.readFileSync(path.join(app, 'imported', 'model.smelt'), 'utf8')).toMatch(/input %x : f32\[batch, 8\]/);
    // smelt run --model: the outputs by the model's names, equal to the interpreter's on the DSL graph.
    run('npx', ['--no', '--', 'smelt', 'run', '--model', 'model.onnx', '--inputs', 'onnx-inputs.safetensors', '--out', 'onnx-out.safetensors', '--backend', 'wasm']);
    const compare = "import { readSafetensors } from '@smelt/ir/node'; const got = readSafetensors('onnx-out.safetensors'), want = readSafetensors('onnx-want.safetensors'); console.log(JSON.stringify({ names: [...got.keys()], error: Math.max(...Array.from(got.get('y').data, (v, i) => Math.abs(v - want.get('y').data[i]))) }));";
    const ran = JSON.parse(run('node', ['--input-type=module', '-e', compare]));
    expect(ran.names).toEqual(['y']);
    expect(ran.error).toBeLessThanOrEqual(1e-5);
    // smelt compile --target onnx: the imported model written back as ONNX, which imports again.
    expect(run('npx', ['--no', '--', 'smelt', 'compile', '--model', 'model.onnx', '--target', 'onnx', '--out', 'd2'])).toMatch(/^compile: model\.onnx as ONNX \(opset 17\): wrote model\.onnx to d2\n/);
    const again = "import { readOnnx } from '@smelt/onnx/node'; console.log(readOnnx('d2/model.onnx').graph.outputs.map((o) => o.name).join());";
    expect(run('node', ['--input-type=module', '-e', again]).trim()).toBe('y');
  });

  it('without @smelt/onnx installed, smelt says to install it for an .onnx file and still runs the rest', () => {
    const dir = path.join(app, 'node_modules', '@smelt', 'onnx');
    const away = path.join(tmp, 'onnx-away');
    fs.renameSync(dir, away);
    try {
      let stderr = '';
      try {
        run('npx', ['--no', '--', 'smelt', 'import', 'model.onnx', '--out', 'imported-again']);
      } catch (e) {
        stderr = String((e as { stderr?: string }).stderr);
      }
      expect(stderr).toContain('reading .onnx models and --target onnx need the @smelt/onnx package: npm install @smelt/onnx');
      expect(fs.existsSync(path.join(app, 'imported-again'))).toBe(false);
      expect(run('npx', ['--no', '--', 'smelt', 'compile', '--config', 'config.json', '--target', 'js', '--graph', 'encoder', '--out', 'no-onnx'])).toMatch(/^compile: seq2seq \(encoder\) for js: wrote/);
    } finally {
      fs.renameSync(away, dir);
    }
  });

  it('npx smelt inspect --format html writes the standalone viewer', () => {
    const html = run('npx', ['--no', '--', 'smelt', 'inspect', '--config', 'config.json', '--format', 'html']);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<script type="application/json" id="smelt-trace">{"graph":"seq2seq"');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it("the packages' types check a consumer (NodeNext, strict)", () => {
    fs.writeFileSync(path.join(app, 'consumer.ts'), CONSUMER);
    const program = ts.createProgram([path.join(app, 'consumer.ts')], {
      strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], lib: ['lib.es2022.d.ts'],
    });
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });
});
