/**
 * Greedy decoding with the trained tensors fed as inputs (a forward graph built with keepLogits), to measure what
 * a run taught: exact match of generated completions before and after training.
 */
import * as ort from 'onnxruntime-node';
import { argmax } from '../generate/sampler';
import type { NamedTensor } from './adapter';
import type { TrainingGraph } from './lora-graph';
import { createGraphSession, trainableFeeds } from './runner';

export class GreedyDecoder {
  private constructor(private session: ort.InferenceSession, private training: TrainingGraph, private cleanup: () => void) {}

  /** `training` must be built with keepLogits (and typically forwardOnly). */
  static async create(training: TrainingGraph): Promise<GreedyDecoder> {
    if (!training.graph.outputs.some((o) => o.name === 'logits')) throw new Error('GreedyDecoder needs a graph built with keepLogits: true');
    const { session, cleanup } = await createGraphSession(training, 'eval', { graphOptimizationLevel: 'all' });
    return new GreedyDecoder(session, training, cleanup);
  }

  /** Appends up to maxNew argmax tokens to the prompt, stopping after `stopId` (or when `signal` fires). */
  async generate(prompt: number[], params: Map<string, NamedTensor>, maxNew: number, stopId?: number, signal?: AbortSignal): Promise<number[]> {
    const ids = [...prompt];
    const generated: number[] = [];
    for (let step = 0; step < maxNew && !signal?.aborted; step++) {
      const n = ids.length;
      const i64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, n]);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, t) => t)),
        loss_weights: new ort.Tensor('float32', new Float32Array(n), [1, n]),
        ...trainableFeeds(this.training, params),
      };
      const logits = (await this.session.run(feeds, ['logits'])).logits;
      const vocab = logits.dims[2];
      const best = argmax((logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab));
      ids.push(best);
      generated.push(best);
      if (best === stopId) break;
    }
    return generated;
  }

  async release(): Promise<void> {
    await this.session.release();
    this.cleanup();
  }
}
