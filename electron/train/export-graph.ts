/** Writes a model's LoRA (or full) training graph to an .onnx file with external weights, to inspect or run elsewhere. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig } from '../model/config';
import { checkpointWeights, validateWeights } from '../model/weights';
import { writeModel } from '../onnx/write';
import type { LoraSettings } from './adapter';
import type { LossChunking } from './head-loss';
import { buildTrainingGraph, type TrainingGraph } from './lora-graph';

export interface ExportGraphOptions {
  lora?: LoraSettings;
  full?: boolean;
  dtype?: 'float32' | 'float16';
  /** Loss only, no backward pass (evaluation, benchmarks). */
  forwardOnly?: boolean;
  /** QLoRA: 4-bit frozen `*_proj` weights (dtype float32). */
  q4Base?: boolean;
  /** The decoding graph with a KV cache (sample answers and evaluation) instead of a loss graph. */
  kvCache?: boolean;
  /** Loss-head chunking (LoRA): positions per chunk and the positions a step holds. */
  lossChunking?: LossChunking;
}

export interface ExportGraphResult {
  onnxFile: string;
  dataFiles: string[];
  training: TrainingGraph;
  trainableParameters: number;
}

export function loadTrainingGraph(modelFolder: string, options: ExportGraphOptions): TrainingGraph {
  if (!existsSync(join(modelFolder, 'config.json'))) {
    throw new Error(`${modelFolder} has no config.json: give the folder of a Hugging Face checkpoint (config.json + *.safetensors)`);
  }
  const config = loadModelConfig(modelFolder);
  const weights = checkpointWeights(modelFolder);
  validateWeights(config, weights, modelFolder);
  return buildTrainingGraph(config, weights, { lora: options.lora, full: options.full, dtype: options.dtype ?? 'float32', forwardOnly: options.forwardOnly,
    quantizedBase: options.q4Base ? {} : undefined, lossChunking: options.lossChunking, kvCache: options.kvCache,
  });
}

export async function exportTrainingGraph(modelFolder: string, outFile: string, options: ExportGraphOptions): Promise<ExportGraphResult> {
  if (!outFile.endsWith('.onnx')) throw new Error(`--out must name an .onnx file (got ${outFile})`);
  const training = loadTrainingGraph(modelFolder, options);
  const written = await writeModel(training.graph, outFile);
  const trainableParameters = training.trainables.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return { onnxFile: outFile, dataFiles: written.dataFiles, training, trainableParameters };
}
