/**
 * The fine-tuning part of the API contract: base models with their Hugging Face checkpoint, the import report of a
 * trace folder, presets, a measured estimate, runs (a pausable job of kind 'train' in its own engine process) kept as
 * history with their metrics, samples and evaluation, and merging an adapter into a model. Spread into ./api.ts;
 * no Node or DOM imports (the renderer imports it).
 */
import { z } from 'zod';
import { isAbsolutePath } from './convert';
import { hyperparameter, TRAIN_DTYPES, TrainDtype } from './train-options';

const Id = z.string().min(1).max(200);
const AbsolutePath = z.string().trim().min(1).max(4096).refine(isAbsolutePath, { message: 'must be an absolute path' });

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export const BASE_PRECISIONS = TRAIN_DTYPES;
export const BasePrecision = TrainDtype;
export type BasePrecision = z.infer<typeof BasePrecision>;

/** A registered model as a base for fine-tuning: usable when its Hugging Face checkpoint folder is on disk. */
export const BaseModel = z.object({
  modelId: z.string(),
  name: z.string(),
  arch: z.string(),
  /** The checkpoint folder (config.json + tokenizer + *.safetensors) training reads. */
  checkpoint: z.string().optional(),
  usable: z.boolean(),
  /** Why it cannot be used and where to get the checkpoint (ONNX-only models). */
  reason: z.string().optional(),
});
export type BaseModel = z.infer<typeof BaseModel>;

export const TrainHyper = z.object({
  rank: hyperparameter.rank,
  alpha: hyperparameter.alpha,
  targets: z.array(z.enum(LORA_TARGETS)).min(1),
  lr: hyperparameter.lr,
  epochs: hyperparameter.epochs,
  maxLength: hyperparameter.seq,
  batch: hyperparameter.batch,
  accumulation: hyperparameter.accum,
  precision: BasePrecision,
  /** Stop after this many optimizer steps (default: all epochs). */
  maxSteps: hyperparameter.maxSteps.optional(),
});
export type TrainHyper = z.infer<typeof TrainHyper>;

export const PRESET_NAMES = ['quick', 'standard', 'thorough'] as const;
export const PresetName = z.enum(PRESET_NAMES);
export type PresetName = z.infer<typeof PresetName>;

/** Starting points; every field stays editable. Reasoning-distillation recipes train all linears with alpha 2·r. */
export const PRESETS: Record<PresetName, TrainHyper> = {
  quick: { rank: 8, alpha: 16, targets: ['q_proj', 'v_proj'], lr: 2e-4, epochs: 1, maxLength: 2048, batch: 1, accumulation: 4, precision: 'q4' },
  standard: {
    rank: 16, alpha: 32, targets: [...LORA_TARGETS], lr: 2e-4, epochs: 2, maxLength: 4096, batch: 1, accumulation: 8, precision: 'q4',
  },
  thorough: {
    rank: 32, alpha: 64, targets: [...LORA_TARGETS], lr: 1e-4, epochs: 3, maxLength: 8192, batch: 1, accumulation: 16, precision: 'fp16',
  },
};

/** Caps on what a CPU spends generating R1 thoughts (samples during the run, evaluation after it). */
export const GenerationCaps = z.object({
  evalQuestions: z.number().int().min(0).max(500).default(20),
  maxNewTokens: z.number().int().min(1).max(32_768).default(2048),
  /** A sample answer on the fixed validation question every N optimizer steps (0 = none). */
  sampleEvery: z.number().int().min(0).max(100_000).default(50),
});

export const RunInput = z
  .object({
    modelId: Id,
    dataFolder: AbsolutePath,
    name: z.string().trim().min(1).max(200).optional(),
    hyper: TrainHyper,
    valFraction: hyperparameter.valFraction.default(0.1),
    seed: hyperparameter.seed.default(0),
    caps: GenerationCaps.default({ evalQuestions: 20, maxNewTokens: 2048, sampleEvery: 50 }),
    /** Field mapping for records with other field names (question=prompt,reasoning=reason,answer=gen_ans). */
    map: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type RunInput = z.input<typeof RunInput>;

export const TokenHistogramBin = z.object({ upTo: z.number(), count: z.number().int() });
export const TraceProblem = z.object({ file: z.string(), line: z.number().int().optional(), row: z.number().int().optional(), reason: z.string() });

/** The trace folder's import report (the importer's), plus the split this run would use. */
export const DataReport = z.object({
  folder: z.string(),
  files: z.number().int(),
  accepted: z.number().int(),
  repaired: z.number().int(),
  skipped: z.number().int(),
  duplicates: z.number().int(),
  examples: z.number().int(),
  byFormat: z.record(z.string(), z.number().int()),
  repairs: z.record(z.string(), z.number().int()).optional(),
  problems: z.array(TraceProblem),
  tokens: z.object({
    unit: z.string(),
    p50: z.number(),
    p95: z.number(),
    max: z.number(),
    overMaxLength: z.number().int(),
    histogram: z.array(TokenHistogramBin),
  }),
  maxLength: z.number().int(),
  split: z.object({ train: z.number().int(), validation: z.number().int(), seed: z.number().int() }),
  /** One record tokenized for the chosen base, loss tokens marked. */
  preview: z.object({ tokens: z.array(z.object({ text: z.string(), id: z.number().int(), loss: z.boolean() })) }).optional(),
  /** The validation question samples and Compare use. */
  sampleQuestion: z.string().optional(),
});
export type DataReport = z.infer<typeof DataReport>;

export const Estimate = z.object({
  fits: z.boolean(),
  /** Peak resident memory the warm-up step measured in the training process, bytes. */
  peakBytes: z.number(),
  availableBytes: z.number(),
  /** Measured seconds per micro-batch (one row set of maxLength tokens), after one unmeasured warm-up. */
  microBatchSeconds: z.number(),
  steps: z.number().int(),
  microBatches: z.number().int(),
  totalSeconds: z.number(),
  tokensPerSecond: z.number(),
  message: z.string(),
});
export type Estimate = z.infer<typeof Estimate>;

export const RunState = z.enum(['running', 'paused', 'interrupted', 'cancelled', 'failed', 'completed']);
export type RunState = z.infer<typeof RunState>;

export const StepMetric = z.object({
  step: z.number().int(),
  loss: z.number(),
  lr: z.number(),
  gradNorm: z.number(),
  tokens: z.number().int(),
  tokensPerSecond: z.number().optional(),
  at: z.number(),
});
export const ValidationMetric = z.object({ step: z.number().int(), loss: z.number() });
export const SampleAnswer = z.object({ step: z.number().int(), question: z.string(), reasoning: z.string(), answer: z.string(), tokens: z.number().int() });
export type SampleAnswer = z.infer<typeof SampleAnswer>;

export const Evaluation = z.object({
  lossBefore: z.number().optional(),
  lossAfter: z.number().optional(),
  /** Only over questions whose reference has a \boxed{} answer. */
  accuracyBefore: z.number().optional(),
  accuracyAfter: z.number().optional(),
  questions: z.number().int(),
  boxedQuestions: z.number().int(),
});
export type Evaluation = z.infer<typeof Evaluation>;

export const RunSummary = z.object({
  id: z.string(),
  name: z.string(),
  jobId: z.string().optional(),
  baseModelId: z.string(),
  baseName: z.string(),
  state: RunState,
  message: z.string().optional(),
  step: z.number().int(),
  totalSteps: z.number().int(),
  lastLoss: z.number().optional(),
  adapterPath: z.string().optional(),
  mergedModelId: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunDetail = RunSummary.extend({
  config: RunInput.extend({ caps: GenerationCaps, valFraction: z.number(), seed: z.number() }),
  checkpoint: z.string(),
  outDir: z.string(),
  records: z.object({ train: z.number().int(), validation: z.number().int() }).optional(),
  metrics: z.array(StepMetric),
  validation: z.array(ValidationMetric),
  samples: z.array(SampleAnswer),
  evaluation: Evaluation.optional(),
  /** Where evaluation stands while it runs ("Evaluating 3/20"). */
  phase: z.string().optional(),
  compareQuestion: z.string().optional(),
});
export type RunDetail = z.infer<typeof RunDetail>;

const RunRef = z.object({ runId: Id }).strict();

export const finetuneApi = {
  'finetune.baseModels': { input: z.object({}).strict(), output: z.array(BaseModel) },
  'finetune.checkData': {
    input: z.object({
      folder: AbsolutePath,
      modelId: Id.optional(),
      maxLength: hyperparameter.seq.default(2048),
      valFraction: hyperparameter.valFraction.default(0.1),
      seed: hyperparameter.seed.default(0),
      map: z.record(z.string(), z.string()).optional(),
    }).strict(),
    output: DataReport,
  },
  'finetune.estimate': { input: RunInput, output: Estimate },
  'finetune.start': { input: RunInput.extend({ force: z.boolean().optional() }), output: RunSummary },
  'finetune.runs': { input: z.object({}).strict(), output: z.array(RunSummary) },
  'finetune.run': { input: RunRef, output: RunDetail },
  'finetune.pause': { input: RunRef, output: RunSummary },
  'finetune.resume': { input: RunRef, output: RunSummary },
  'finetune.cancel': { input: RunRef, output: RunSummary },
  'finetune.merge': {
    input: z.object({ runId: Id, dtype: z.enum(['q4', 'fp16']).default('q4') }).strict(),
    output: z.object({ jobId: z.string() }),
  },
} as const;

/** Sent whenever a run's row changes (new step, sample, evaluation, state): the screen refetches finetune.run. */
export const finetuneEvents = {
  'finetune.update': z.object({ runId: z.string(), state: RunState, step: z.number().int(), totalSteps: z.number().int() }),
} as const;
