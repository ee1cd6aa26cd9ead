/**
 * The data side of fine-tuning in the services: which registered models can be trained (they need their Hugging Face
 * checkpoint, not only ONNX files), the import report of a trace folder with the split a run would use, and the
 * canonical JSONL a run trains on.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BaseModel, DataReport } from '../contract/finetune';
import { loadModelConfig } from '../model/config';
import type { ModelRecord } from '../store';
import { splitCounts } from '../train/records';
import { checkTraces, importTraces, previewTokens, type TraceReport } from './finetune-traces';
import { ApiError } from './errors';
import { sourceFolders } from './models';

const WHERE_TO_GET =
  'Download the original checkpoint (deepseek-ai/DeepSeek-R1-Distill-…: config.json, tokenizer files and *.safetensors) and ' +
  'convert it on the Models screen, or give its folder here: training reads the bf16 weights, not the ONNX files.';

/** A folder training can read: config.json, tokenizer.json and at least one *.safetensors. */
export function isCheckpointFolder(dir: string): boolean {
  try {
    const files = fs.readdirSync(dir);
    return files.includes('config.json') && files.includes('tokenizer.json') && files.some((f) => f.endsWith('.safetensors'));
  } catch {
    return false;
  }
}

export function baseModelOf(record: ModelRecord): BaseModel {
  const checkpoint = sourceFolders(record).find(isCheckpointFolder);
  if (checkpoint) return { modelId: record.id, name: record.name, arch: record.arch, checkpoint, usable: true };
  const known = sourceFolders(record)[0];
  const reason = known
    ? `Its checkpoint ${known} is gone or incomplete. ${WHERE_TO_GET}`
    : `${record.name} has only ONNX files. ${WHERE_TO_GET}`;
  return { modelId: record.id, name: record.name, arch: record.arch, usable: false, reason };
}

export interface CheckDataInput {
  folder: string;
  checkpoint?: string;
  maxLength: number;
  valFraction: number;
  seed: number;
  map?: Record<string, string>;
}

export async function checkDataFolder(input: CheckDataInput): Promise<DataReport> {
  if (!fs.existsSync(input.folder)) throw new ApiError('bad_request', `${input.folder} does not exist: give the folder (or file) that holds your traces.`);
  const report = await checkTraces([input.folder], { map: input.map, tokenizer: input.checkpoint, maxLength: input.maxLength });
  const split = splitCounts(report.examples, input.valFraction);
  const out: DataReport = { ...toDataReport(report), folder: input.folder, maxLength: input.maxLength, split: { ...split, seed: input.seed } };
  if (input.checkpoint) {
    const preview = await previewTokens(input.checkpoint, [input.folder], input.map);
    if (preview) out.preview = preview;
  }
  return out;
}

function toDataReport(report: TraceReport): Omit<DataReport, 'folder' | 'maxLength' | 'split'> {
  return {
    files: report.files, accepted: report.accepted, repaired: report.repaired, skipped: report.skipped, duplicates: report.duplicates,
    examples: report.examples, byFormat: report.byFormat, repairs: report.repairs,
    problems: report.problems.slice(0, 500), tokens: report.tokens,
  };
}

/** Writes the canonical JSONL a run trains on into its folder (once: a resumed run reuses it, so its split holds). */
export async function prepareRunData(runDir: string, folder: string, map?: Record<string, string>): Promise<{ dataFile: string; report: TraceReport }> {
  const dataFile = path.join(runDir, 'data.jsonl');
  fs.mkdirSync(runDir, { recursive: true });
  const report = await importTraces([folder], dataFile, { map });
  if (!report.examples) {
    throw new ApiError('bad_request', `${folder} has no usable traces (${report.skipped} skipped; see the import report for why).`);
  }
  return { dataFile, report };
}

/** The checkpoint's family, or a clear error when the folder is not a checkpoint training can read. */
export function checkpointFamily(checkpoint: string): 'qwen2' | 'llama' {
  try {
    return loadModelConfig(checkpoint).modelType;
  } catch (error) {
    throw new ApiError('model_invalid', (error as Error).message);
  }
}
