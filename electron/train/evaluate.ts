/**
 * Greedy decoding of the model being trained, with the trained tensors fed as inputs: the sample answers and the
 * evaluation of a run, and exact-match checks in tests. The graph is the training graph's decoding form (kvCache):
 * the engine's growing-cache decoder runs the prompt once and then one position per new token, so an answer costs
 * prompt + new − 1 token positions instead of re-running the whole sequence for every token.
 */
import * as ort from 'onnxruntime-node';
import { decoderShapeOf } from '../generate/model-files';
import { OrtDecoder } from '../generate/ort-decoder';
import { argmax } from '../generate/sampler';
import type { ModelConfig } from '../model/config';
import { pastName } from '../model/decoder';
import type { NamedTensor } from './adapter';
import type { TrainingGraph } from './lora-graph';
import { createGraphSession, trainableFeeds } from './runner';

export interface GreedyDecoderOptions {
  /** Prompt positions run at once (default: the engine's prefill chunk). */
  prefillChunk?: number;
}

export class GreedyDecoder {
  /** Token positions run through the model since creation (prefill and decode, every answer). */
  tokensRun = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfig,
    private readonly training: TrainingGraph,
    private readonly options: GreedyDecoderOptions,
    private readonly cleanup: () => void,
  ) {}

  /** `training` must be the decoding graph of `config` (built with kvCache: true). */
  static async create(config: ModelConfig, training: TrainingGraph, options: GreedyDecoderOptions = {}): Promise<GreedyDecoder> {
    if (!training.graph.inputs.some((i) => i.name === pastName(0, 'key'))) throw new Error('GreedyDecoder needs a graph built with kvCache: true');
    const { session, cleanup } = await createGraphSession(training, 'eval', { graphOptimizationLevel: 'all' });
    return new GreedyDecoder(session, config, training, options, cleanup);
  }

  /**
   * Appends up to maxNew argmax tokens to the prompt, stopping after `stopId`, when `signal` fires, or when the
   * model's context is full.
   */
  async generate(prompt: number[], params: Map<string, NamedTensor>, maxNew: number, stopId?: number, signal?: AbortSignal): Promise<number[]> {
    const contextLength = this.config.maxPositionEmbeddings;
    if (prompt.length > contextLength) {
      throw new Error(`The prompt takes ${prompt.length} tokens, more than the ${contextLength} the model's context holds: ask a shorter question.`);
    }
    const decoder = new OrtDecoder(this.session, decoderShapeOf(this.config), {
      contextLength, prefillChunk: this.options.prefillChunk, extraFeeds: trainableFeeds(this.training, params),
    });
    const limit = Math.min(maxNew, contextLength - prompt.length + 1); // the last token is never run
    const generated: number[] = [];
    try {
      if (limit <= 0 || signal?.aborted) return generated;
      let logits = await decoder.forward(prompt, signal);
      while (!signal?.aborted) {
        const best = argmax(logits);
        generated.push(best);
        if (best === stopId || generated.length >= limit) break;
        logits = await decoder.forward([best], signal);
      }
      return generated;
    } finally {
      this.tokensRun += decoder.tokensRun;
      decoder.dispose();
    }
  }

  async release(): Promise<void> {
    await this.session.release();
    this.cleanup();
  }
}
