/**
 * One LoRA (or full) fine-tuning run over a Hugging Face checkpoint, as the engine runs it: build the training
 * graph, start from PEFT's init (or resume), train, and write the adapter folder (or the full model).
 */
import { join } from 'node:path';
import type { TensorSource } from '../onnx/graph';
import { adapterConfig, initLoraTensors, type LoraSettings, type NamedTensor, writeAdapter } from './adapter';
import { loadTrainingGraph } from './export-graph';
import { exportFullFineTune } from './merge-folder';
import type { TrainingRecord } from './packing';
import { OrtStepRunner, sourceToFloat32 } from './runner';
import { type TrainConfig, type TrainEvent, type TrainOutcome, train } from './trainer';

export interface FineTuneOptions {
  modelFolder: string; // Hugging Face checkpoint (config.json + safetensors)
  outDir: string; // gets checkpoints/ and adapter/ (LoRA) or model/ (full)
  records: TrainingRecord[];
  validation?: TrainingRecord[];
  lora?: LoraSettings; // omit with full: true
  full?: boolean;
  config: TrainConfig;
  /** Frozen base: float32, float16 (mixed precision) or q4 (QLoRA: 4-bit projections, float32 activations). */
  dtype?: 'float32' | 'float16' | 'q4';
  executionProviders?: string[];
  resume?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
}

export interface FineTuneResult {
  outcome: TrainOutcome;
  /** LoRA: the PEFT adapter folder; full: the converted model folder (undefined unless completed). */
  output?: string;
}

export async function runFineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  const q4Base = options.dtype === 'q4';
  const dtype = options.dtype === 'float16' ? 'float16' : 'float32';
  const lossChunking = { maxPositions: options.config.rowsPerBatch * options.config.seqLen }; // a batch's positions
  const training = loadTrainingGraph(options.modelFolder, { lora: options.lora, full: options.full, dtype, q4Base, lossChunking });
  const params = options.lora ? initLoraTensors(training.trainables, options.config.seed) : await fullInitial(training.trainables, training.initial);
  const runner = await OrtStepRunner.create(training, { executionProviders: options.executionProviders });
  const peftConfig = options.lora ? adapterConfig(options.lora, options.modelFolder) : undefined;
  try {
    const outcome = await train({
      records: options.records, validation: options.validation, params, runner, config: options.config,
      checkpointDir: join(options.outDir, 'checkpoints'), adapterConfig: peftConfig, resume: options.resume,
      signal: options.signal, onEvent: options.onEvent,
    });
    if (outcome.status !== 'completed') return { outcome };
    if (peftConfig) {
      const output = join(options.outDir, 'adapter');
      writeAdapter(output, peftConfig, outcome.params);
      return { outcome, output };
    }
    const output = join(options.outDir, 'model');
    await exportFullFineTune(options.modelFolder, outcome.params, output);
    return { outcome, output };
  } finally {
    await runner.release();
  }
}

async function fullInitial(trainables: { name: string; shape: number[] }[], initial: Map<string, TensorSource>) {
  const params = new Map<string, NamedTensor>();
  for (const t of trainables) params.set(t.name, { shape: t.shape, data: await sourceToFloat32(initial.get(t.name)!) });
  return params;
}
