/**
 * The data side of fine-tuning in the services: which registered models can be trained (they need their Hugging Face
 * checkpoint, not only ONNX files), the import report of a trace folder with the split a run would use, and the
 * canonical JSONL a run trains on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BaseModel, DataReport } from '../contract/finetune';
import type { ModelRecord } from '../store';
import { importTraces, type TraceReport } from '../traces';
import { previewTrainingTokens } from '../train/preview';
import { splitCounts } from '../train/records';
import { loadTrainingTokenizer, type TrainingTokenizer } from '../train/tokenize';
import { ApiError } from './errors';
import { sourceFolders } from './models';

/** Tokens of the preview: enough to see the prompt, the markers and where the loss starts. */
const PREVIEW_TOKENS = 1500;

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
  const tokenizer = input.checkpoint ? await checkpointTokenizer(input.checkpoint) : undefined;
  // The import itself (not only a check): its first record is the one the token preview shows.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-check-'));
  try {
    const file = path.join(scratch, 'traces.jsonl');
    const report = await importTraces([input.folder], file, { map: input.map, tokenizer, maxLength: input.maxLength });
    const out: DataReport = {
      ...toDataReport(report), folder: input.folder, maxLength: input.maxLength,
      split: { ...splitCounts(report.examples, input.valFraction), seed: input.seed },
    };
    const first = firstLine(file);
    if (tokenizer && first) {
      const { tokens } = previewTrainingTokens(tokenizer, JSON.parse(first));
      out.preview = { tokens: tokens.slice(0, PREVIEW_TOKENS) };
    }
    return out;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function firstLine(file: string): string | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const text = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    const line = text.split('\n')[0];
    return line.trim() ? line : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

async function checkpointTokenizer(checkpoint: string): Promise<TrainingTokenizer> {
  try {
    return await loadTrainingTokenizer(checkpoint);
  } catch (error) {
    throw new ApiError('model_invalid', (error as Error).message);
  }
}

function toDataReport(report: TraceReport): Omit<DataReport, 'folder' | 'maxLength' | 'split'> {
  const { unit, p50, p95, max, overMaxLength, histogram } = report.tokens;
  return {
    files: report.files, accepted: report.accepted, repaired: report.repaired, skipped: report.skipped, duplicates: report.duplicates,
    examples: report.examples, byFormat: report.byFormat, repairs: report.repairs, problems: report.problems,
    tokens: { unit, p50, p95, max, overMaxLength, histogram },
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
