// The host of an exported generator (`smelt compile --graph generator`): model.js loads the encode
// and step exports in the folders beside it (encode/model.js, step/model.js, each a standalone
// export of the target) and runs @smelt/models' own generation loop over them: Seq2SeqGenerator
// over CachedDecoder, embedded with this file as text (backends/scripts/embed.ts), so the export
// decodes exactly as the package does. Each loaded part offers resident.ts' interface (device
// tensors in its own memory: wasm linear memory, GPU buffers, the js arrays), so the step part is a
// ResidentExecutable here as in process: the caches stay in the part between steps, and the webgpu
// step part chooses the tokens itself (runChoosing), so only the token ids come back.
// model-js.ts writes CONFIG, TARGET, SRC_PADDING and PARTS before it; imports here are types only,
// or of files embedded before it.

import type {
  DeviceTensor, ResidentExecutable, RunInputs, RunValue, TokenChoice, TokenChoosingExecutable, TransferCounts,
} from '@smelt/backends';
import type { Tensor } from '@smelt/ir';
import type { Seq2SeqConfig } from '../../config.ts';
import { CachedDecoder, type SourceInputs } from '../cached-decoder.ts';
import { type GeneratedStep, Seq2SeqGenerator } from '../generator.ts';
import type { GenerateOptions } from '../options.ts';

export type GeneratorTarget = 'js' | 'wasm' | 'webgpu';

type Outputs<T> = Record<string, T> | Promise<Record<string, T>>;

/** An exported part's model (each target's loader; the js and wasm ones return their outputs at once). */
interface PartModel {
  run(inputs: RunInputs): Outputs<Tensor>;
  runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Outputs<RunValue>;
  /** webgpu: the tokens chosen on the GPU. */
  runChoosing?(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice): Promise<{ outputs: Record<string, RunValue>; tokens: Int32Array }>;
  upload(t: Tensor): DeviceTensor;
  download(t: DeviceTensor): Promise<Tensor>;
  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor;
  readonly transfers: TransferCounts;
  dispose(): void;
  /** webgpu: the device it runs on. */
  readonly device?: unknown;
}

interface PartModule {
  load(options?: object): Promise<PartModel>;
}

declare const CONFIG: Seq2SeqConfig;
declare const TARGET: GeneratorTarget;
declare const SRC_PADDING: boolean;
declare const PARTS: { readonly encode: PartModule; readonly step: PartModule };

export interface GeneratorLoadOptions {
  /** wasm: threads each run of a part uses (default 1; see load() in encode/model.d.ts). */
  readonly threads?: number;
  /** webgpu: navigator.gpu in a browser, the `webgpu` package's create([]) in Node. */
  readonly gpu?: unknown;
  /** webgpu: the folder's URL (ending in /) when the parts' files are not beside their model.js. */
  readonly baseUrl?: string | URL;
  /** webgpu: read one of the folder's files yourself, by its path in the folder ("step/weights.bin"). */
  readonly read?: (file: string) => Promise<Uint8Array>;
}

export interface Generator {
  readonly config: Seq2SeqConfig;
  /** Bytes copied between the host and the step part's memory since load (the caches never are). */
  readonly transfers: TransferCounts;
  /** bos then the generated tokens of every row: i32 [batch, 1 + steps] (docs/ARCHITECTURE.md, "Generation"). */
  generate(inputs: SourceInputs, options?: GenerateOptions): Promise<Tensor<'i32'>>;
  /** The tokens as each step makes them (beam search yields its best rows once it ends). */
  stream(inputs: SourceInputs, options?: GenerateOptions): AsyncGenerator<GeneratedStep>;
  dispose(): void;
}

/** What the target's loader takes for one part, in its folder; webgpu's step part runs on the encode part's device. */
function partOptions(part: 'encode' | 'step', o: GeneratorLoadOptions, device?: unknown): object | undefined {
  switch (TARGET) {
    case 'js': return undefined;
    case 'wasm': return { threads: o.threads ?? 1 };
    case 'webgpu': {
      const read = o.read;
      return {
        gpu: o.gpu,
        device,
        baseUrl: o.baseUrl === undefined ? undefined : new URL(`${part}/`, o.baseUrl),
        read: read && ((file: string) => read(`${part}/${file}`)),
      };
    }
    default: return TARGET satisfies never;
  }
}

/** A part as an Executable with device tensors. `dispose`: whether the loop's dispose() disposes it (the encode part is disposed last, by load's generator). */
class PartExecutable implements ResidentExecutable {
  constructor(protected readonly model: PartModel, private readonly disposes: boolean) {}
  async run(inputs: RunInputs): Promise<Map<string, Tensor>> {
    return new Map(Object.entries(await this.model.run(inputs)));
  }
  async runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Promise<Map<string, RunValue>> {
    return new Map(Object.entries(await this.model.runResident(inputs, keep)));
  }
  upload(t: Tensor): DeviceTensor {
    return this.model.upload(t);
  }
  download(t: DeviceTensor): Promise<Tensor> {
    return this.model.download(t);
  }
  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    return this.model.selectRows(t, rows);
  }
  get transfers(): TransferCounts {
    return this.model.transfers;
  }
  dispose(): void {
    if (this.disposes) this.model.dispose();
  }
}

/** A part that chooses tokens where the logits are (webgpu). */
class ChoosingPartExecutable extends PartExecutable implements TokenChoosingExecutable {
  async runChoosing(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice): Promise<{ outputs: Map<string, RunValue>; tokens: Int32Array }> {
    const r = await this.model.runChoosing!(inputs, keep, choice);
    return { outputs: new Map(Object.entries(r.outputs)), tokens: r.tokens };
  }
}

const executable = (model: PartModel, disposes: boolean): PartExecutable =>
  (typeof model.runChoosing === 'function' ? new ChoosingPartExecutable(model, disposes) : new PartExecutable(model, disposes));

/** The source inputs against what the export takes: a padding mask exactly when compiled with --mask src. */
function sourceOf(inputs: SourceInputs): SourceInputs {
  if (typeof inputs !== 'object' || inputs === null || typeof inputs.src !== 'object' || inputs.src === null) {
    throw new TypeError('generate: inputs must be { src, srcPaddingMask? } with src an i32 tensor [batch, srcLen]');
  }
  if (SRC_PADDING && !inputs.srcPaddingMask) throw new TypeError('generate: this export takes srcPaddingMask (compiled with --mask src): a bool tensor [batch, srcLen], 1 where the source is padding');
  if (!SRC_PADDING && inputs.srcPaddingMask) throw new TypeError('generate: srcPaddingMask given, but this export was compiled without --mask src');
  return inputs;
}

/** What a generator keeps alive: Dawn's GPU object must outlive the device it made (collected, it takes the device down). */
const keptAlive = new WeakMap<Generator, unknown>();

/** Load the encode and step parts (options as their loaders take them) and the loop over them. */
export async function load(options: GeneratorLoadOptions = {}): Promise<Generator> {
  const encode = await PARTS.encode.load(partOptions('encode', options));
  let step: PartModel;
  try {
    // One device for both: two devices in one process share a software adapter badly (slow runs, crashes under Dawn).
    step = await PARTS.step.load(partOptions('step', options, encode.device));
  } catch (e) {
    encode.dispose();
    throw e;
  }
  // The step part is disposed before the encode part, whose device (webgpu) the step part runs on.
  const generator = new Seq2SeqGenerator(CONFIG, new CachedDecoder(CONFIG, executable(encode, false), executable(step, true)));
  const loaded: Generator = {
    config: CONFIG,
    get transfers() {
      return generator.transfers;
    },
    // Errors reach the caller as the in-process generator's do: a rejected promise, a throwing next().
    generate: async (inputs, o) => generator.generate(sourceOf(inputs), o),
    async *stream(inputs, o) {
      yield* generator.stream(sourceOf(inputs), o);
    },
    dispose() {
      generator.dispose();
      encode.dispose();
    },
  };
  keptAlive.set(loaded, options.gpu);
  return loaded;
}
