/**
 * The conversion part of the API contract: `jobs.startConvert` turns a Hugging Face R1-Distill folder into a model
 * folder the app runs, as a job (progress, ETA, cancel through jobs.*). Used in ./api.ts; no Node or DOM imports here
 * (the renderer imports it), so paths are checked with plain patterns rather than node:path.
 */
import { z } from 'zod';

export const CONVERT_DTYPES = ['fp32', 'fp16', 'q4', 'q4f16'] as const;
export const ConvertDtype = z.enum(CONVERT_DTYPES);
export type ConvertDtype = z.infer<typeof ConvertDtype>;

/** One line per dtype, for pickers and help text. */
export const CONVERT_DTYPE_NOTES: Record<ConvertDtype, string> = {
  q4: '4-bit weights, fp32 activations: about a quarter of the size and the fastest on CPU (recommended).',
  q4f16: '4-bit weights, fp16 activations: smallest, for GPUs (CUDA, WebGPU, DirectML).',
  fp16: '16-bit floats: half the size of fp32, full quality; best on GPUs.',
  fp32: '32-bit floats: the reference, twice the size of the checkpoint; slow on CPU.',
};

/** The dtypes the advanced quantization settings apply to. */
export function isQuantized(dtype: ConvertDtype): boolean {
  return dtype === 'q4' || dtype === 'q4f16';
}

/** POSIX (/home/me/x), Windows drive (C:\x or C:/x) or UNC (\\server\share) absolute paths. */
export function isAbsolutePath(value: string): boolean {
  return /^\//.test(value) || /^[A-Za-z]:[\\/]/.test(value) || /^\\\\[^\\]+\\/.test(value);
}

/** A folder path typed by the user: refused unless absolute (a relative one would resolve against the server's cwd). */
export const AbsolutePath = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .refine(isAbsolutePath, { message: 'must be an absolute path, e.g. /home/me/DeepSeek-R1-Distill-Qwen-1.5B or C:\\models\\DeepSeek-R1-Distill-Qwen-1.5B' });

export const StartConvertInput = z
  .object({
    /** The Hugging Face folder: config.json, tokenizer files, *.safetensors. */
    hfDir: AbsolutePath,
    /** Defaults to <dataDir>/models/<source folder name>-<dtype> (with -2, -3, … when that exists). */
    outDir: AbsolutePath.optional(),
    dtype: ConvertDtype,
    /** int4 only: weights per quantization block, a power of two ≥ 16 (default 64). */
    blockSize: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .refine((n) => (n & (n - 1)) === 0, { message: 'must be a power of two (16, 32, 64, 128, …)' })
      .optional(),
    /** int4 only: a zero point per block (default true; false = symmetric, Q4_0's scheme). */
    asymmetric: z.boolean().optional(),
    /** int4 only: MatMulNBits accuracy_level 0–4 (default 4: int8 activations, fastest on CPU). */
    accuracyLevel: z.number().int().min(0).max(4).optional(),
    /** int4 only: the token embedding as 4-bit too (default: fp16). */
    quantizeEmbeddings: z.boolean().optional(),
    /** int4 only: lm_head as 4-bit (default true) or fp16. */
    quantizeLmHead: z.boolean().optional(),
    /** The graph other runtimes (transformers.js) load too: its KV cache stays on the GPU with WebGPU (10× faster there), slower on the CPU at long contexts (default false). */
    portable: z.boolean().optional(),
    /** Add the result to the model list when it is done (default true). */
    register: z.boolean().default(true),
    /**
     * Replace an earlier Distillery conversion in outDir (a registered model there is unloaded first). Files the
     * converter did not write are kept; a folder without a Distillery manifest is never replaced.
     */
    force: z.boolean().optional(),
    /** Name in the model list (default: the output folder's name). */
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type StartConvertInput = z.input<typeof StartConvertInput>;
export type StartConvertParams = z.output<typeof StartConvertInput>;

/** The dtypes of a converted model folder: the converter's choices. */
export const ModelDtype = ConvertDtype;
export type ModelDtype = z.infer<typeof ModelDtype>;

export const QuantizationInfo = z.object({
  method: z.literal('MatMulNBits'),
  bits: z.literal(4),
  blockSize: z.number().int(),
  symmetric: z.boolean(),
  accuracyLevel: z.number().int().min(0).max(4),
  /** How the token embedding is stored: quantized with GatherBlockQuantized, or float. */
  embeddings: z.enum(['q4', 'fp16', 'fp32']),
  lmHead: z.enum(['q4', 'fp16', 'fp32']),
});
export type QuantizationInfo = z.infer<typeof QuantizationInfo>;

export const SourceFile = z.object({ name: z.string(), bytes: z.number().int(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type SourceFile = z.infer<typeof SourceFile>;

/** distillery.json: what a converted folder is (dtype, file, quantization, source), so the app never has to guess. */

export const Manifest = z.object({
  format: z.literal('distillery-model'),
  formatVersion: z.number().int(),
  converter: z.object({ name: z.literal('distillery-convert'), version: z.string() }),
  createdAt: z.string(),
  dtype: ModelDtype,
  /** Path of the ONNX file inside the folder, as transformers.js names it (onnx/model_q4.onnx, …). */
  modelFile: z.string(),
  architecture: z.string(),
  source: z.object({ folder: z.string(), files: z.array(SourceFile) }),
  quantization: QuantizationInfo.nullable(),
  /** Float weights written as float16: how many values left float16's range (saturated to ±65504) or became ±0. */
  fp16: z.object({ overflow: z.literal('saturate'), overflowed: z.number().int(), flushedToZero: z.number().int() }).nullable(),
  outputBytes: z.number().int(),
  /** The decoder graph's layout (absent: the standard graph of converter 1.0, which concatenates its KV cache). */
  graph: z.string().optional(),
});
export type Manifest = z.infer<typeof Manifest>;

/**
 * How a converted folder was made, from its distillery.json: the converter's version and its decoder graph
 * ('standard' for converter 1.0 folders, which record none; 'fused-gqa-v1' since 1.1).
 */
export const ConvertedWith = z.object({ converterVersion: z.string(), graph: z.string() });
export type ConvertedWith = z.infer<typeof ConvertedWith>;

/**
 * "Re-convert for speed" on a folder that predates the fused graph. `available`: its source checkpoint is where the
 * manifest says, with the recorded sizes (the sha256 of every file is checked again before anything is written);
 * `running`: the re-conversion job; `unavailable`: why not, and what to do (e.g. which repository to download again).
 */
export const SpeedUpgrade = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('available'),
    why: z.string(),
    sourceFolder: z.string(),
    /** The re-conversion writes the portable graph: the model runs on WebGPU, where its cache then stays on the GPU. */
    portable: z.literal(true).optional(),
  }),
  z.object({ state: z.literal('running'), jobId: z.string() }),
  z.object({ state: z.literal('unavailable'), reason: z.enum(['source missing', 'source changed', 'source not recorded']), message: z.string() }),
]);
export type SpeedUpgrade = z.infer<typeof SpeedUpgrade>;

export const ReconvertInput = z.object({ modelId: z.string().min(1).max(200) }).strict();
