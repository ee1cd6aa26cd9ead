/**
 * Pure logic of the "Convert a checkpoint" card: the form, what it sends as `jobs.startConvert`, which conversion jobs
 * the card shows, and when one has just finished (so the model list is re-read).
 */
import type { Job } from '../../electron/contract/api';
import {
  CONVERT_DTYPE_NOTES,
  isAbsolutePath,
  isQuantized,
  type ConvertDtype,
  type StartConvertInput,
} from '../../electron/contract/convert';
import { isActive } from './jobs';

export interface ConvertForm {
  hfDir: string;
  dtype: ConvertDtype;
  /** Optional: empty means the app's models folder. */
  outDir: string;
  name: string;
  blockSize: number;
  asymmetric: boolean;
  accuracyLevel: number;
  quantizeEmbeddings: boolean;
  /** The GroupQueryAttention graph: its cache stays on the GPU with WebGPU; slower on the CPU at long contexts. */
  portable: boolean;
}

/** The converter's defaults: block 64 with a zero point per block, accuracy level 4, fp16 embeddings. */
export const DEFAULT_CONVERT_FORM: ConvertForm = {
  hfDir: '',
  dtype: 'q4',
  outDir: '',
  name: '',
  blockSize: 64,
  asymmetric: true,
  accuracyLevel: 4,
  quantizeEmbeddings: false,
  portable: false,
};

export const BLOCK_SIZES = [16, 32, 64, 128, 256] as const;

export const ACCURACY_LEVELS: { value: number; label: string }[] = [
  { value: 0, label: '0 · unset (the provider picks)' },
  { value: 1, label: '1 · fp32 activations' },
  { value: 2, label: '2 · fp16 activations' },
  { value: 3, label: '3 · bf16 activations' },
  { value: 4, label: '4 · int8 activations (fastest on CPU)' },
];

/** Picker order: the CPU recommendation first. */
export const DTYPE_OPTIONS: { value: ConvertDtype; label: string; note: string }[] = [
  { value: 'q4', label: 'q4 · 4-bit, recommended on CPU', note: CONVERT_DTYPE_NOTES.q4 },
  { value: 'q4f16', label: 'q4f16 · 4-bit + fp16, for GPUs', note: CONVERT_DTYPE_NOTES.q4f16 },
  { value: 'fp16', label: 'fp16 · half precision, for GPUs', note: CONVERT_DTYPE_NOTES.fp16 },
  { value: 'fp32', label: 'fp32 · full precision, largest', note: CONVERT_DTYPE_NOTES.fp32 },
];

/** Why the form cannot be sent yet, in words; null when it can. */
export function convertFormProblem(form: ConvertForm): string | null {
  const hfDir = form.hfDir.trim();
  if (!hfDir) return 'Enter the folder of a Hugging Face checkpoint (config.json, tokenizer files, *.safetensors).';
  if (!isAbsolutePath(hfDir)) return `The checkpoint folder must be an absolute path, e.g. /home/me/DeepSeek-R1-Distill-Qwen-1.5B (got “${hfDir}”).`;
  const outDir = form.outDir.trim();
  if (outDir && !isAbsolutePath(outDir)) return `The output folder must be an absolute path (got “${outDir}”), or leave it empty.`;
  return null;
}

/** The call's input: int4 settings only for int4 dtypes, and only where they differ from the converter's defaults. */
export function toStartConvertInput(form: ConvertForm): StartConvertInput {
  const input: StartConvertInput = { hfDir: form.hfDir.trim(), dtype: form.dtype };
  if (form.outDir.trim()) input.outDir = form.outDir.trim();
  if (form.name.trim()) input.name = form.name.trim();
  if (form.portable) input.portable = true;
  if (isQuantized(form.dtype)) {
    if (form.blockSize !== DEFAULT_CONVERT_FORM.blockSize) input.blockSize = form.blockSize;
    if (form.asymmetric !== DEFAULT_CONVERT_FORM.asymmetric) input.asymmetric = form.asymmetric;
    if (form.accuracyLevel !== DEFAULT_CONVERT_FORM.accuracyLevel) input.accuracyLevel = form.accuracyLevel;
    if (form.quantizeEmbeddings) input.quantizeEmbeddings = true;
  }
  return input;
}

/** Conversions the card shows: every one still running, and those started from this window until dismissed. Newest first. */
export function visibleConvertJobs(jobs: readonly Job[], mine: ReadonlySet<string>): Job[] {
  return jobs.filter((job) => job.kind === 'convert' && (isActive(job) || mine.has(job.id)));
}

/**
 * Ids of convert jobs that succeeded since `previous` (id → state) was taken: the model list needs a re-read. A job
 * not seen before counts only when this window started it (an old success from jobs.list is not news).
 */
export function newlySucceeded(previous: ReadonlyMap<string, Job['state']>, jobs: readonly Job[], mine: ReadonlySet<string>): string[] {
  return jobs
    .filter((job) => job.kind === 'convert' && job.state === 'succeeded')
    .filter((job) => {
      const before = previous.get(job.id);
      return before === undefined ? mine.has(job.id) : before !== 'succeeded';
    })
    .map((job) => job.id);
}

export function jobStates(jobs: readonly Job[]): Map<string, Job['state']> {
  return new Map(jobs.map((job) => [job.id, job.state]));
}
