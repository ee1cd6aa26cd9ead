/**
 * Engine handler `train`: a fine-tuning run (LoRA by default, or full) in the engine process, so the app's main
 * process never blocks on a training step. Streams every TrainEvent as a `progress` event; cancel stops after the
 * current step with a checkpoint kept, so the same request with `resume: true` continues exactly.
 */
import { z } from 'zod';
import { EngineError, EngineErrorCode } from '../protocol';
import { registerHandler } from '../registry';
import { loadModelConfig } from '../../model/config';
import { LORA_MODULES, type LoraSettings } from '../../train/adapter';
import { runFineTune } from '../../train/job';
import { prepareTrainingData } from '../../train/data';
import { splitValidation } from '../../train/records';

export const TrainParams = z.object({
  modelFolder: z.string().min(1).max(4096), // Hugging Face checkpoint (config.json + safetensors + tokenizer)
  dataFile: z.string().min(1).max(4096), // canonical JSONL of traces, or a trace folder/file the importer reads
  outDir: z.string().min(1).max(4096),
  lora: z
    .object({
      rank: z.number().int().min(1).max(1024),
      alpha: z.number().positive(),
      targets: z.array(z.enum(LORA_MODULES)).min(1),
      useRslora: z.boolean().optional(),
    })
    .optional(),
  full: z.boolean().optional(),
  dtype: z.enum(['float32', 'float16', 'q4']).default('float32'),
  resume: z.boolean().optional(),
  valFraction: z.number().min(0).max(0.5).default(0.05),
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
export type TrainParams = z.input<typeof TrainParams>;

export interface TrainJobResult {
  status: 'completed' | 'cancelled';
  output?: string; // adapter folder (LoRA) or converted model folder (full), when completed
  checkpoint?: string;
  steps: number;
  records: { train: number; validation: number; skipped: number; truncated: number };
}

/** Error code for a run refused for its input (no usable records, bad model folder) or stopped by NaN/inf. */
export const TRAIN_ERROR_CODE = 'train_failed';

registerHandler<z.output<typeof TrainParams>, TrainJobResult>({
  method: 'train',
  params: TrainParams,
  async handle(params, ctx) {
    if (!params.full && !params.lora) throw new EngineError(TRAIN_ERROR_CODE, 'Choose LoRA settings (rank, alpha, targets) or full fine-tuning.');
    checkModelFolder(params.modelFolder);
    const prepared = await prepareTrainingData({ data: params.dataFile, modelFolder: params.modelFolder, outDir: params.outDir, maxLen: params.config.seqLen, signal: ctx.signal })
      .catch((error: Error) => {
        if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Training cancelled.');
        throw new EngineError(TRAIN_ERROR_CODE, error.message);
      });
    const { loaded } = prepared;
    for (const skipped of loaded.skipped) ctx.log('warn', `skipped ${prepared.file}:${skipped.line}: ${skipped.reason}`);
    if (!loaded.records.length) {
      throw new EngineError(TRAIN_ERROR_CODE, `${params.dataFile} has no usable records: each line must be {"question", "reasoning", "answer"} (${loaded.skipped.length} lines skipped).`);
    }
    const { train, validation } = splitValidation(loaded.records, params.valFraction);
    const records = { train: train.length, validation: validation.length, skipped: loaded.skipped.length, truncated: loaded.truncated.count };
    ctx.emit('records', records);
    const result = await runFineTune({
      modelFolder: params.modelFolder, outDir: params.outDir, records: train, validation,
      lora: params.lora as LoraSettings | undefined, full: params.full, dtype: params.dtype, resume: params.resume,
      config: params.config, signal: ctx.signal, onEvent: (event) => ctx.emit('progress', event),
    }).catch((error: Error) => {
      if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Training cancelled.');
      throw new EngineError(TRAIN_ERROR_CODE, error.message);
    });
    const { outcome } = result;
    if (outcome.status === 'diverged') {
      throw new EngineError(TRAIN_ERROR_CODE, `${outcome.message} The last good checkpoint is kept${outcome.checkpoint ? ` in ${outcome.checkpoint}` : ''}.`);
    }
    return { status: outcome.status, output: result.output, checkpoint: outcome.checkpoint, steps: outcome.loop.step, records };
  },
});

function checkModelFolder(modelFolder: string): void {
  try {
    loadModelConfig(modelFolder);
  } catch (error) {
    throw new EngineError(TRAIN_ERROR_CODE, (error as Error).message);
  }
}
