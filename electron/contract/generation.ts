/**
 * What generation produces, as the engine sends it: the loaded model, the streamed text, the final stats. One schema
 * each; the engine's table (./engine.ts) validates them at the process boundary, the renderer's contract
 * (./inference.ts) derives its views from them, and the core's types are `z.infer` of these.
 */
import { z } from 'zod';

/** The execution providers a model can run on. */
export const ProviderName = z.enum(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
export type ProviderName = z.infer<typeof ProviderName>;

/** A better provider that was skipped or failed, with why and how to fix it. */
export const ProviderFallback = z.object({ provider: ProviderName, reason: z.string() });
export type ProviderFallback = z.infer<typeof ProviderFallback>;

export const MemoryEstimate = z.object({
  weightsBytes: z.number(),
  kvCacheBytes: z.number(),
  activationBytes: z.number(),
  totalBytes: z.number(),
  availableBytes: z.number(),
  fits: z.boolean(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

/** A model loaded in the engine, as the engine reports it. */
export const LoadedModelInfo = z.object({
  modelId: z.string(),
  dir: z.string(),
  provider: z.string(),
  dtype: z.string(),
  contextLength: z.number().int(),
  /** CPU threads asked for (absent: ONNX Runtime's default, the physical cores). */
  threads: z.number().int().optional(),
  /** Better providers that were skipped or failed, with why and how to fix it. */
  fallbacks: z.array(ProviderFallback),
  /** How to make this model run faster on this provider, when the folder's graph is the slow one for it. */
  advice: z.string().optional(),
  estimate: MemoryEstimate,
  loadMs: z.number(),
});
export type LoadedModelInfo = z.infer<typeof LoadedModelInfo>;

export const FinishReason = z.enum(['stop', 'length', 'stopped']);
export type FinishReason = z.infer<typeof FinishReason>;

export const GenerationStats = z.object({
  promptTokens: z.number(),
  timeToFirstTokenMs: z.number(),
  thinkingTokens: z.number(),
  thinkingMs: z.number(),
  answerTokens: z.number(),
  completionTokens: z.number(),
  /** Tokens after the first, per second of decoding (prefill excluded). */
  decodeTokensPerSecond: z.number(),
  /** Share of the decoding time spent outside the model (sampling, splitting, events), in percent. */
  loopOverheadPct: z.number(),
  totalMs: z.number(),
  provider: z.string(),
  dtype: z.string(),
  finishReason: FinishReason,
  thinkingBudgetHit: z.boolean(),
  /** The output ended (token limit, stop) before `</think>`. */
  thinkingOpen: z.boolean(),
  /** The seed actually used (random when none was given): pass it back to reproduce the text. */
  seed: z.number(),
});
export type GenerationStats = z.infer<typeof GenerationStats>;

export const GenerationResult = z.object({ reasoning: z.string(), answer: z.string(), stats: GenerationStats });
export type GenerationResult = z.infer<typeof GenerationResult>;

/** A piece of generated text: thinking (reasoning) or the answer after `</think>`. */
export const TextPiece = z.object({ type: z.enum(['reasoning', 'answer']), text: z.string() });
export type TextPiece = z.infer<typeof TextPiece>;

/**
 * Streamed during `generate.run`: a piece of text with the tokens generated so far. It goes out for every batch of
 * tokens, so its schema stays three plain fields (cheap to check on every event).
 */
export const GenerateTextEvent = TextPiece.extend({ tokens: z.number().int().min(0) });
export type GenerateTextEvent = z.infer<typeof GenerateTextEvent>;

/**
 * Sent once, when `</think>` arrives: the thought's length from the first generated token, on the engine's clock
 * (the same figures as the final stats' thinkingMs/thinkingTokens).
 */
export const ThoughtClosed = z.object({ ms: z.number().min(0), tokens: z.number().int().min(0) });
export type ThoughtClosed = z.infer<typeof ThoughtClosed>;
