/**
 * The engine's training methods (`train`, `train.estimate`, `train.merge`): params, results and streamed events.
 * Part of the engine's table in ./engine.ts.
 */
import { z } from 'zod';
import { ConvertDtype } from './convert';
import { Evaluation, LORA_TARGETS } from './finetune';

const FolderPath = z.string().min(1).max(4096);
const LoraTargets = z.array(z.enum(LORA_TARGETS)).min(1);

export const TrainParams = z.object({
  modelFolder: FolderPath, // Hugging Face checkpoint (config.json + safetensors + tokenizer)
  dataFile: FolderPath, // canonical JSONL of traces, or a trace folder/file the importer reads
  outDir: FolderPath,
  lora: z
    .object({
      rank: z.number().int().min(1).max(1024),
      alpha: z.number().positive(),
      targets: LoraTargets,
      useRslora: z.boolean().optional(),
    })
    .optional(),
  full: z.boolean().optional(),
  dtype: z.enum(['float32', 'float16', 'q4']).default('float32'),
  resume: z.boolean().optional(),
  valFraction: z.number().min(0).max(0.5).default(0.05),
  /** Seeded validation split (the app's); without it every k-th record is held out. */
  splitSeed: z.number().int().min(0).optional(),
  /** A greedy sample answer on the first validation question every `every` steps (LoRA runs). */
  sample: z.object({ every: z.number().int().min(0), maxNewTokens: z.number().int().min(1).max(32_768) }).optional(),
  /** After a completed run: validation loss before/after and answers to up to `questions` validation questions. */
  evaluation: z.object({ questions: z.number().int().min(0).max(10_000), maxNewTokens: z.number().int().min(1).max(32_768) }).optional(),
  config: z.object({
    seed: z.number().int().min(0).default(0),
    epochs: z.number().int().min(1).default(2),
    maxSteps: z.number().int().min(1).optional(),
    rowsPerBatch: z.number().int().min(1).default(1),
    seqLen: z.number().int().min(8).max(131_072).default(2048),
    gradAccumulation: z.number().int().min(1).default(8),
    lr: z.number().positive().default(2e-4),
    warmupSteps: z.number().int().min(0).default(10),
    minLrRatio: z.number().min(0).max(1).default(0.1),
    maxGradNorm: z.number().min(0).default(1),
    validateEvery: z.number().int().min(0).default(50),
    checkpointEvery: z.number().int().min(0).default(50),
  }),
});

/** The params as a caller writes them (defaults not yet applied). */
export type TrainParams = z.input<typeof TrainParams>;

const RecordCounts = z.object({ train: z.number().int(), validation: z.number().int(), skipped: z.number().int(), truncated: z.number().int() });

export const TrainJobResult = z.object({
  status: z.literal('completed'),
  output: z.string().optional(), // adapter folder (LoRA) or converted model folder (full), when completed
  checkpoint: z.string().optional(),
  steps: z.number().int(),
  records: RecordCounts,
  evaluation: Evaluation.optional(),
});
export type TrainJobResult = z.infer<typeof TrainJobResult>;

const LossPoint = z.object({ step: z.number().int(), loss: z.number() });

/** One `progress` event of `train`: the trainer's events, the records count, sample answers and the evaluation. */
export const TrainProgressEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('step'),
    step: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number(),
    lr: z.number(),
    gradNorm: z.number(),
    tokens: z.number(),
    epoch: z.number(),
    tokensPerSecond: z.number().optional(),
  }),
  LossPoint.extend({ type: z.literal('validation') }),
  z.object({ type: z.literal('checkpoint'), step: z.number().int(), dir: z.string() }),
  z.object({
    type: z.literal('resumed'),
    step: z.number().int(),
    dir: z.string(),
    history: z.array(z.object({ step: z.number().int(), loss: z.number(), lr: z.number(), gradNorm: z.number() })).optional(),
    validation: z.array(LossPoint).optional(),
  }),
  RecordCounts.extend({ type: z.literal('records') }),
  z.object({ type: z.literal('sample'), step: z.number().int(), question: z.string(), reasoning: z.string(), answer: z.string(), tokens: z.number().int() }),
  z.object({ type: z.literal('evaluating'), done: z.number().int(), total: z.number().int() }),
  z.object({ type: z.literal('evaluated'), evaluation: Evaluation }),
]);
export type TrainProgressEvent = z.infer<typeof TrainProgressEvent>;

export const EstimateParams = z.object({
  modelFolder: FolderPath,
  dataFile: FolderPath,
  lora: z.object({ rank: z.number().int().min(1).max(1024), alpha: z.number().positive(), targets: LoraTargets }),
  dtype: z.enum(['float32', 'float16', 'q4']),
  valFraction: z.number().min(0).max(0.5),
  splitSeed: z.number().int().min(0),
  config: z.object({
    epochs: z.number().int().min(1),
    maxSteps: z.number().int().min(1).optional(),
    rowsPerBatch: z.number().int().min(1),
    seqLen: z.number().int().min(8).max(131_072),
    gradAccumulation: z.number().int().min(1),
    validateEvery: z.number().int().min(0),
  }),
});

export const EstimateResult = z.object({
  peakBytes: z.number(),
  availableBytes: z.number(),
  microBatchSeconds: z.number(),
  steps: z.number().int(),
  microBatches: z.number().int(),
  validationMicroBatches: z.number().int(),
  totalSeconds: z.number(),
  tokensPerSecond: z.number(),
});
export type EstimateResult = z.infer<typeof EstimateResult>;

export const MergeParams = z.object({ baseFolder: FolderPath, adapterDir: FolderPath, outDir: FolderPath, dtype: ConvertDtype });

export const trainMethods = {
  train: {
    params: TrainParams,
    result: TrainJobResult,
    events: { records: RecordCounts, progress: TrainProgressEvent },
  },
  'train.estimate': { params: EstimateParams, result: EstimateResult },
  'train.merge': {
    params: MergeParams,
    result: z.object({ outDir: z.string(), seconds: z.number() }),
    events: { progress: z.object({ fraction: z.number().min(0).max(1), message: z.string() }) },
  },
} as const;
