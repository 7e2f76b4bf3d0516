// The playground page: pick a built-in model or load a .smelt IR file (with its .safetensors) or an
// .onnx model (imported in the page, onnx-file.ts),
// compile it here with the pass trace, browse the passes and the memory plan in the viewer, run
// it on wasm or WebGPU (per-run time, per-kernel timeline), and, for the trained toy, type digits
// and watch the generator stream the reversed sequence.

import { type Graph, type Tensor, deserializeSafetensors, interpret, parseGraph, verifyGraph } from '@smelt/ir';
import { type CompileTrace, compileWithTrace } from '@smelt/compiler';
import { type Executable, getBackend } from '@smelt/backends';
import { Seq2SeqGenerator, initWeights } from '@smelt/models';
import { type ViewerHandle, mountViewer } from '@smelt/viewer/ui';
import { type BuiltinModel, MODELS } from './models.ts';
import { sampleEnv, sampleInputs } from './inputs.ts';
import { loadOnnxFile } from './onnx-file.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelPick = $<HTMLSelectElement>('model');
const graphPick = $<HTMLSelectElement>('graph');
const status = $<HTMLSpanElement>('status');
const runButton = $<HTMLButtonElement>('run');
const runResult = $<HTMLSpanElement>('run-result');
const backendPick = $<HTMLSelectElement>('backend');

interface Loaded { readonly title: string; readonly graph: Graph; readonly weights: Map<string, Tensor>; readonly note: string }

const models: BuiltinModel[] = [...MODELS];
let current: { model: BuiltinModel; graph: Graph; weights?: Map<string, Tensor>; trace: CompileTrace; viewer: ViewerHandle } | undefined;
/** For tests: ready, busy, and the outputs of the last run. */
const page: { ready: boolean; busy: boolean; outputs?: Map<string, Tensor> } = { ready: false, busy: false };
(window as unknown as { smeltPlayground: unknown }).smeltPlayground = page;

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : 'note';
}

const tick = () => new Promise((r) => setTimeout(r, 0));

async function guarded(what: string, body: () => Promise<void>): Promise<void> {
  page.busy = true;
  try {
    await body();
  } catch (e) {
    say(`${what} failed: ${(e as Error).message}`, true);
    console.error(e);
  } finally {
    page.busy = false;
  }
}

function fillModels(select?: string): void {
  modelPick.replaceChildren(...models.map((m) => new Option(m.title, m.id)));
  if (select) modelPick.value = select;
  fillGraphs();
}

function model(): BuiltinModel {
  return models.find((m) => m.id === modelPick.value)!;
}

function fillGraphs(): void {
  const m = model();
  graphPick.replaceChildren(...m.graphs.map((g) => new Option(g, g)));
  $<HTMLLabelElement>('graph-pick').hidden = m.graphs.length < 2;
  $<HTMLDivElement>('toy').hidden = !m.toy;
}

async function compile(): Promise<void> {
  const m = model();
  say(`building ${m.id}…`);
  await tick();
  const graph = m.build(graphPick.value);
  say(`compiling ${graph.name} (${graph.nodes.length} ops)…`);
  await tick();
  const { trace } = compileWithTrace(graph, {}, (symbols) => sampleEnv(symbols));
  const viewer = mountViewer($('viewer'), trace, { timeline: true });
  current = { model: m, graph, trace, viewer };
  runButton.disabled = false;
  runResult.textContent = '';
  const changed = trace.steps.filter((s) => s.changed).length;
  say(`compiled ${graph.name} in the page in ${trace.compileMs.toFixed(1)} ms: ${trace.steps.length - 1} passes (${changed} changed the graph), ${graph.nodes.length} → ${trace.steps.at(-1)!.nodes.length} ops, ${trace.kernels.length} kernels; ${m.weightsNote}`);
}

async function run(): Promise<void> {
  if (!current) return;
  const name = backendPick.value;
  const backend = getBackend(name);
  const why = await backend.unavailableReason();
  if (why) throw new Error(`${name} cannot run here: ${why}`);
  runResult.textContent = `weights, then compiling for ${name}…`;
  await tick();
  const weights = (current.weights ??= await current.model.weights(current.graph));
  const t0 = performance.now();
  const exe: Executable = await backend.compile(current.graph, weights);
  const compileMs = performance.now() - t0;
  try {
    const inputs = sampleInputs(current.graph);
    const outputs = await exe.run(inputs);
    page.outputs = outputs;
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await exe.run(inputs);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const profile = await exe.profile?.(inputs);
    if (profile) current.viewer.setProfile({ backend: name, ms: profile.ms, kernels: profile.kernels });
    let check = '';
    if (current.graph.nodes.length <= 400) {
      const want = interpret(current.graph, inputs, weights);
      let worst = 0;
      for (const [k, t] of want) {
        const got = outputs.get(k)!;
        for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(Number(got.data[i]) - Number(t.data[i])));
      }
      check = `; max |Δ| vs the interpreter ${worst.toExponential(2)}`;
    }
    const shapes = [...outputs].map(([k, t]) => `${k} ${t.dtype}[${t.shape.join(', ')}]`).join(', ');
    runResult.textContent = `${name}: ${times[1].toFixed(2)} ms per run (median of 3; compile ${compileMs.toFixed(0)} ms); ${shapes}${check}`;
    if (profile) current.viewer.showTab('timeline');
  } finally {
    exe.dispose();
  }
}

const generators = new Map<string, Promise<Seq2SeqGenerator>>();

async function reverseDigits(): Promise<void> {
  const m = model();
  const cfg = m.toy!;
  const digits = $<HTMLInputElement>('toy-input').value.replace(/\s+/g, '');
  if (!/^[0-9]{1,8}$/.test(digits)) throw new Error(`type 1 to 8 digits (got "${digits}")`);
  const name = backendPick.value;
  const out = $<HTMLSpanElement>('toy-output');
  const note = $<HTMLSpanElement>('toy-note');
  out.textContent = '';
  note.textContent = `compiling the encode and step graphs for ${name}…`;
  let gen = generators.get(name);
  if (!gen) {
    const backend = getBackend(name);
    const why = await backend.unavailableReason();
    if (why) throw new Error(`${name} cannot run here: ${why}`);
    const all = await m.weights(m.build('model'));
    generators.set(name, (gen = Seq2SeqGenerator.compile(cfg, all, backend)));
    gen.catch(() => generators.delete(name));
  }
  const g = await gen;
  note.textContent = 'decoding…';
  const src = { dtype: 'i32' as const, shape: [1, digits.length], data: Int32Array.from(digits, (d) => Number(d) + 3) };
  const t0 = performance.now();
  let n = 0;
  for await (const step of g.stream({ src }, { strategy: 'greedy' })) {
    const t = step.tokens[0];
    if (t === cfg.eos) break;
    out.textContent += t >= 3 && t <= 12 ? String(t - 3) : '?';
    n++;
    await tick();
  }
  note.textContent = `${n} tokens in ${(performance.now() - t0).toFixed(1)} ms on ${name} (greedy, key/value cache)`;
  out.dataset.done = 'true';
}

async function loadFiles(files: FileList): Promise<void> {
  const list = [...files];
  const onnx = list.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx.length > 1) throw new Error(`pick one .onnx model at a time, got ${onnx.map((f) => f.name).join(', ')}`);
  if (onnx.length === 1) {
    say(`importing ${onnx[0].name}…`);
    await tick();
    const m = await loadOnnxFile(onnx[0], list.filter((f) => f !== onnx[0]));
    return addLoaded({ title: onnx[0].name, ...m });
  }
  const text = list.find((f) => f.name.toLowerCase().endsWith('.smelt'));
  if (!text) throw new Error(`no .smelt or .onnx file among ${list.map((f) => f.name).join(', ')}: pick an .onnx model (with its external data files, if any), or a .smelt IR text file (and, optionally, its .safetensors)`);
  const graph = parseGraph(await text.text());
  verifyGraph(graph);
  const st = list.find((f) => f.name.toLowerCase().endsWith('.safetensors'));
  const loaded: Loaded = st
    ? { title: text.name, graph, weights: deserializeSafetensors(new Uint8Array(await st.arrayBuffer()), st.name), note: `weights from ${st.name}` }
    : { title: text.name, graph, weights: initWeights(graph, 0), note: 'no .safetensors given: seeded random weights' };
  await addLoaded(loaded);
}

/** A loaded model joins the model list, picked and compiled. */
async function addLoaded(loaded: Loaded): Promise<void> {
  const id = `file:${models.length}`;
  models.push({ id, title: `${loaded.title} (loaded)`, graphs: ['model'], build: () => loaded.graph, weights: async () => loaded.weights, weightsNote: loaded.note });
  fillModels(id);
  await compile();
}

modelPick.addEventListener('change', fillGraphs);
$('compile').addEventListener('click', () => guarded('compile', compile));
runButton.addEventListener('click', () => guarded('run', run));
$('toy-go').addEventListener('click', () => guarded('reverse', reverseDigits));
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const files = (e.target as HTMLInputElement).files;
  if (files?.length) void guarded('load', () => loadFiles(files));
});
fillModels('toy');
page.ready = true;
