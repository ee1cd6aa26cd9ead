/**
 * The plain way to decode greedily, kept as the independent reference for the KV-cache decoder (tests) and as the
 * baseline of its benchmark: the whole sequence through a loss graph built with keepLogits, for every new token.
 */
import * as ort from 'onnxruntime-node';
import { argmax } from '../generate/sampler';
import type { NamedTensor } from '../train/adapter';
import type { TrainingGraph } from '../train/lora-graph';
import { trainableFeeds } from '../train/runner';

export async function reforwardGreedy(
  session: ort.InferenceSession, graph: TrainingGraph, prompt: number[], params: Map<string, NamedTensor>, maxNew: number,
): Promise<number[]> {
  const ids = [...prompt];
  for (let step = 0; step < maxNew; step++) {
    const n = ids.length;
    const i64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, n]);
    const feeds = {
      input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, t) => t)),
      loss_weights: new ort.Tensor('float32', new Float32Array(n), [1, n]), ...trainableFeeds(graph, params),
    };
    const logits = (await session.run(feeds, ['logits'])).logits;
    const vocab = Number(logits.dims[2]);
    ids.push(argmax((logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab)));
  }
  return ids.slice(prompt.length);
}
