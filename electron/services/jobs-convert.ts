/**
 * The convert job: the engine method `convert` (electron/engine/handlers/convert.ts) run by the job runner, with its
 * progress in words ("Converting layer 12/28 · 1.2 GB of 3.5 GB") and, when it succeeds, the new folder added to the
 * model registry with the checkpoint it came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StartConvertParams } from '../contract/convert';
import type { ConvertJobResult } from '../engine/handlers/convert';
import { formatBytes } from '../contract/units';
import type { SourceFile } from '../convert/manifest';
import { sweepStalePartials } from '../convert/partials';
import type { ConvertProgress } from '../convert/progress';
import { ApiError } from './errors';
import type { EngineJobSpec, JobProgress } from './jobs-runner';
import type { ModelsRegistry } from './models';

/**
 * Share of the bar per phase. Checksumming reads the source once at disk speed; converting reads it again and
 * quantizes or narrows every weight, several times slower; the finish (tokenizer files, manifest, rename) is instant.
 */
const CHECKSUM_SHARE = 0.1;
const FINISH_AT = 0.99;

/**
 * Output folders of conversions still running. The converter only renames its result into place at the end, so
 * without this two jobs could pick (or be given) the same folder and the second would replace the first's model.
 */
const outputsInUse = new Set<string>();

/** <modelsDir>/<source folder name>-<dtype>, or with -2, -3, … when that exists or is being written (a default never refuses). */
export function defaultOutDir(modelsDir: string, hfDir: string, dtype: string): string {
  const base = path.join(modelsDir, `${path.basename(path.resolve(hfDir))}-${dtype}`);
  let candidate = base;
  for (let n = 2; fs.existsSync(candidate) || outputsInUse.has(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

/** num_hidden_layers from the checkpoint's config.json, for "layer N/L"; undefined when it cannot be read (the converter says why). */
export function readLayerCount(hfDir: string): number | undefined {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(hfDir, 'config.json'), 'utf8')) as { num_hidden_layers?: unknown };
    const layers = config.num_hidden_layers;
    return typeof layers === 'number' && Number.isInteger(layers) && layers > 0 ? layers : undefined;
  } catch {
    return undefined;
  }
}

/** The job's view of one converter progress event: fraction of the whole job, what it does now, seconds left. */
export function convertJobProgress(p: ConvertProgress, layers?: number): JobProgress {
  const bytes = p.bytesTotal > 0 ? ` · ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : '';
  if (p.phase === 'checksum') {
    // Only this phase's ETA is known here; the runner's client extrapolates from the bar instead.
    return { fraction: CHECKSUM_SHARE * p.fraction, message: `Checking the checkpoint${bytes}` };
  }
  if (p.phase === 'finish') return { fraction: FINISH_AT, message: 'Writing the tokenizer files and manifest', etaSeconds: 0 };
  const progress: JobProgress = {
    fraction: CHECKSUM_SHARE + (FINISH_AT - CHECKSUM_SHARE) * p.fraction,
    message: `Converting ${whereInModel(p, layers)}${bytes}`,
  };
  if (p.etaMs !== undefined) progress.etaSeconds = p.etaMs / 1000;
  return progress;
}

// All tensors but three (embedding, final norm, lm_head) belong to a layer and are written layer by layer, so the
// share of tensors done places the converter within about one layer.
function whereInModel(p: ConvertProgress, layers?: number): string {
  if (p.tensorsTotal <= 0) return 'weights';
  if (!layers) return `tensor ${p.tensorsDone}/${p.tensorsTotal}`;
  const layer = Math.min(layers, Math.max(1, Math.ceil((p.tensorsDone / p.tensorsTotal) * layers)));
  return `layer ${layer}/${layers}`;
}

/** The engine params for `convert`: only the options the user set (the converter refuses int4 options on float dtypes). */
export function convertEngineParams(input: StartConvertParams, outDir: string): Record<string, unknown> {
  const params: Record<string, unknown> = { hfDir: path.resolve(input.hfDir), outDir, dtype: input.dtype };
  if (input.blockSize !== undefined) params.blockSize = input.blockSize;
  if (input.asymmetric !== undefined) params.symmetric = !input.asymmetric;
  if (input.accuracyLevel !== undefined) params.accuracyLevel = input.accuracyLevel;
  if (input.quantizeEmbeddings !== undefined) params.quantizeEmbeddings = input.quantizeEmbeddings;
  if (input.quantizeLmHead !== undefined) params.quantizeLmHead = input.quantizeLmHead;
  if (input.portable) params.portable = true;
  if (input.force) params.overwrite = true;
  return params;
}

export interface ConvertJobDeps {
  modelsDir: string;
  registry: Pick<ModelsRegistry, 'add'>;
}

/**
 * A conversion into a registered model's folder replaces that model: refused without `force`; with it, the model is
 * unloaded first so the engine does not hold the files being replaced. (Whether the folder may be replaced at all,
 * and which files, is the converter's decision.)
 */
export async function releaseRegisteredOutput(
  input: StartConvertParams,
  registered: (dir: string) => { id: string; name: string } | undefined,
  unload: (modelId: string) => Promise<unknown>,
): Promise<void> {
  if (!input.outDir) return; // a default output folder is always new
  const model = registered(path.resolve(input.outDir));
  if (!model) return;
  if (!input.force) {
    throw new ApiError(
      'conflict',
      `${path.resolve(input.outDir)} is the folder of your model “${model.name}”: choose another output folder, or convert with force to replace it.`,
    );
  }
  await unload(model.id);
}

/** `expectSource`: a re-conversion's recorded source files; the converter refuses when the checkpoint differs. */
export function convertJobSpec(input: StartConvertParams, deps: ConvertJobDeps, extra: { expectSource?: SourceFile[] } = {}): EngineJobSpec<ConvertJobResult> {
  const hfDir = path.resolve(input.hfDir);
  const outDir = input.outDir ? path.resolve(input.outDir) : defaultOutDir(deps.modelsDir, hfDir, input.dtype);
  if (outputsInUse.has(outDir)) {
    throw new ApiError('conflict', `Another conversion is writing to ${outDir}: wait for it to finish or choose another output folder.`);
  }
  outputsInUse.add(outDir);
  const layers = readLayerCount(hfDir);
  return {
    onSettled: () => outputsInUse.delete(outDir),
    kind: 'convert',
    title: `Convert ${path.basename(hfDir)} to ${input.dtype}`,
    method: 'convert',
    params: convertEngineParams(input, outDir),
    // the checksums go to the engine only: the job row keeps the options, not a list of every shard's sha256
    ...(extra.expectSource ? { engineParams: { ...convertEngineParams(input, outDir), expectSource: extra.expectSource } } : {}),
    progress: (data) => convertJobProgress(data as ConvertProgress, layers),
    // The converter removes its partial output on errors and cancel; an engine that died mid-way could not.
    onFailure: async (state) => {
      if (state === 'interrupted') await sweepStalePartials(outDir);
    },
    onSuccess: async (result) => {
      const took = `${input.dtype} in ${formatSeconds(result.seconds)}`;
      if (!input.register) {
        return { message: `Converted to ${took}: ${result.outDir}`, result: { outDir: result.outDir, dtype: input.dtype, seconds: result.seconds } };
      }
      let model;
      try {
        model = await deps.registry.add(result.outDir, input.name, { convertedFrom: hfDir });
      } catch (error) {
        throw new Error(`Converted into ${result.outDir}, but it could not be added to your models: ${(error as Error).message}`);
      }
      return {
        message: `Converted to ${took} and added to your models as “${model.name}”.`,
        result: { outDir: result.outDir, dtype: input.dtype, seconds: result.seconds, modelId: model.id },
      };
    },
  };
}

/**
 * At start-up: the partial folders of conversion jobs recorded as interrupted (the app was killed mid-job), when the
 * process that wrote them is gone. Nothing else is swept: not downloads' partials (a download resumes from them),
 * training checkpoints, the Hugging Face cache, or a conversion another process is still running.
 */
export async function sweepInterruptedConversions(jobs: { kind: string; state: string; params?: unknown }[]): Promise<string[]> {
  const removed: string[] = [];
  for (const job of jobs) {
    if (job.kind !== 'convert' || job.state !== 'interrupted') continue;
    const outDir = (job.params as { outDir?: unknown } | null)?.outDir;
    if (typeof outDir === 'string' && path.isAbsolute(outDir)) removed.push(...(await sweepStalePartials(outDir)));
  }
  return removed;
}

export function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
