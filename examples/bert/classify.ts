// BERT (the zoo's "bert" config, config.json here) classifies three token sequences of different
// lengths in one batch: Hugging Face's attention_mask marks the padding, token_type_ids the two
// segments; the logits come from the tanh pooler over the first token and the classifier.
//   pnpm exec tsx examples/bert/classify.ts [--weights W.safetensors] [--backend B]
// With --weights tests/goldens/bert/weights.safetensors it prints the logits PyTorch gave for these
// tokens (tests/goldens/bert/expected.safetensors; what padding holds does not matter) to 1e-4.

import { tensor } from '@smelt/ir';
import { buildBert } from '@smelt/models';
import { backend, exampleConfig, runExample, weights } from '../zoo-args.ts';

const IDS = [
  [2, 25, 11, 27, 34, 37, 22, 20],
  [30, 2, 13, 21, 1, 0, 0, 0],
  [17, 33, 17, 0, 0, 0, 0, 0],
];
const LENGTHS = [8, 5, 3];

runExample('bert', async () => {
  const cfg = exampleConfig(import.meta.url);
  if (cfg.model !== 'bert') throw new Error('config.json must be a bert config');
  const graph = buildBert(cfg, { attentionMask: true, tokenTypeIds: true });
  const be = await backend();
  const exe = await be.compile(graph, weights(graph));
  const seq = IDS[0].length;
  const at = (f: (r: number, i: number) => number) => Int32Array.from({ length: IDS.length * seq }, (_, k) => f(Math.floor(k / seq), k % seq));
  const logits = (await exe.run({
    input_ids: tensor('i32', [IDS.length, seq], at((r, i) => IDS[r][i])),
    attention_mask: tensor('bool', [IDS.length, seq], Uint8Array.from(at((r, i) => +(i < LENGTHS[r])))),
    token_type_ids: tensor('i32', [IDS.length, seq], at((r, i) => +(i >= Math.floor(LENGTHS[r] / 2)))),
  })).get('logits')!;
  console.log(`${be.name}: logits [${logits.shape.join(', ')}]`);
  IDS.forEach((_, r) => console.log(`  row ${r} (${LENGTHS[r]} tokens): ${[...logits.data.subarray(r * cfg.numLabels, (r + 1) * cfg.numLabels)].map((x) => Number(x).toFixed(5)).join('  ')}`));
  exe.dispose();
});
