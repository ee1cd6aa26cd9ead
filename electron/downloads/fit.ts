/**
 * "Will it fit?" For a model (from its config) and a precision: the memory it needs (weights + KV cache at the
 * chosen context + runtime overhead, the estimate the engine itself checks at load: electron/generate/memory.ts)
 * against the GPU and the RAM, and the disk the files take against the free space where they go.
 */
import { CONVERT_DTYPES, type ConvertDtype } from '../contract/convert';
import { formatBytes } from '../contract/units';
import { estimateMemory } from '../generate/memory';
import { decoderShapeOf } from '../generate/model-files';
import { planProviders } from '../generate/providers';
import type { MachineInfo } from './machine';
import type { ModelSizes } from './sizes';

export type FitVerdict = 'gpu' | 'cpu' | 'none';

export interface DtypeFit {
  dtype: ConvertDtype;
  verdict: FitVerdict;
  weightsBytes: number;
  kvCacheBytes: number;
  overheadBytes: number;
  totalBytes: number;
  /** Bytes fetched (the bf16 checkpoint, or the ONNX files of a ready repo). */
  downloadBytes: number;
  /** Bytes on disk once done: the download plus, for a checkpoint, the converted model. */
  diskBytes: number;
  /** Whether the free space on the drives that will hold the files covers diskBytes (undefined: unknown). */
  diskOk?: boolean;
  /** The numbers in words. */
  summary: string;
}

/** GPU execution providers Distillery can use for a model on a discrete GPU's memory. */
const GPU_PROVIDERS = ['cuda', 'dml', 'webgpu'];
/** Memory the OS and other programs keep: the verdict plans for the rest. */
const RAM_RESERVE = 2 * 1024 ** 3;

export interface FitOptions {
  contextLength: number;
  /** 'onnx': a ready repo, no conversion (download = the ONNX files). */
  sourceKind?: 'safetensors' | 'onnx';
  /** Settings' execution provider, which a new model loads on (unset or 'auto': the automatic choice). */
  providerChoice?: string;
}

/**
 * The provider a new model loads on here: Settings' choice where it works, else the automatic one, which never picks
 * WebGPU (the engine's plan, electron/generate/providers.ts). CUDA counts where nvidia-smi found a GPU.
 */
export function loadsOn(machine: Pick<MachineInfo, 'providers' | 'gpus'>, choice?: string, platform = process.platform, arch = process.arch): string {
  const available = machine.providers.map((name) => ({ name, available: true }));
  return planProviders(choice, available, { platform, arch, nvidiaGpu: (machine.gpus?.length ?? 0) > 0 }).order[0];
}

export function fitModel(sizes: ModelSizes, machine: MachineInfo, options: FitOptions): { fits: DtypeFit[]; recommended: ConvertDtype } {
  const fits = CONVERT_DTYPES.map((dtype) => fitDtype(sizes, machine, dtype, options));
  return { fits, recommended: recommendDtype(fits) };
}

export function fitDtype(sizes: ModelSizes, machine: MachineInfo, dtype: ConvertDtype, options: FitOptions): DtypeFit {
  const { config } = sizes;
  const shape = decoderShapeOf(config);
  const context = Math.min(options.contextLength, config.maxPositionEmbeddings);
  const weights = sizes.onnxBytes[dtype];
  const estimate = estimateMemory(shape, weights, context, dtype.includes('16') ? 2 : 4, Number.MAX_SAFE_INTEGER);
  const total = estimate.totalBytes;
  const gpuMemory = Math.max(0, ...(machine.gpus ?? []).map((g) => g.memoryBytes));
  const provider = loadsOn(machine, options.providerChoice);
  const gpuUsable = GPU_PROVIDERS.includes(provider) && gpuMemory > 0;
  const verdict: FitVerdict = gpuUsable && total <= gpuMemory ? 'gpu' : total <= machine.totalMemoryBytes - RAM_RESERVE ? 'cpu' : 'none';
  const downloadBytes = options.sourceKind === 'onnx' ? weights : sizes.checkpointBytes;
  const diskBytes = options.sourceKind === 'onnx' ? weights : sizes.checkpointBytes + weights;
  const free = machine.disks.map((d) => d.freeBytes);
  // Both folders on one drive is the usual case: then the smaller free figure must hold everything.
  const diskOk = free.some((f) => f === undefined) ? undefined : Math.min(...(free as number[])) >= diskBytes;
  const fit: DtypeFit = {
    dtype, verdict, weightsBytes: weights, kvCacheBytes: estimate.kvCacheBytes, overheadBytes: total - weights - estimate.kvCacheBytes, totalBytes: total,
    downloadBytes, diskBytes, summary: '',
    ...(diskOk !== undefined ? { diskOk } : {}),
  };
  fit.summary = describeFit(fit, machine, context, gpuMemory, provider);
  return fit;
}

/** On a GPU that holds it: fp16 (full quality), else q4f16; on the CPU: q4 (the fastest there); else the smallest. */
export function recommendDtype(fits: DtypeFit[]): ConvertDtype {
  const by = (dtype: ConvertDtype) => fits.find((f) => f.dtype === dtype)!;
  if (by('fp16').verdict === 'gpu') return 'fp16';
  if (by('q4f16').verdict === 'gpu') return 'q4f16';
  return 'q4';
}

const gb = formatBytes;

function describeFit(fit: DtypeFit, machine: MachineInfo, context: number, gpuMemory: number, provider: string): string {
  const need = `needs ${gb(fit.totalBytes)} (weights ${gb(fit.weightsBytes)} + KV cache at ${context} tokens ${gb(fit.kvCacheBytes)} + overhead ${gb(fit.overheadBytes)})`;
  const gpuNote = machine.gpus === undefined
    ? '; GPU memory unknown'
    : gpuMemory === 0
      ? ''
      : GPU_PROVIDERS.includes(provider)
        ? `; too big for the GPU (${gb(gpuMemory)})`
        : `; models load on the CPU here, not the GPU (${gb(gpuMemory)}): ${gpuHint(machine)}`;
  const where = fit.verdict === 'gpu'
    ? `fits on the GPU (${provider}, ${gb(gpuMemory)})`
    : fit.verdict === 'cpu'
      ? `runs on the CPU (${gb(machine.totalMemoryBytes)} RAM)${gpuNote}`
      : `will not fit: ${gb(machine.totalMemoryBytes)} RAM${gpuMemory > 0 ? `, ${gb(gpuMemory)} GPU` : ''}`;
  const disk = fit.diskOk === false ? `; not enough free disk for ${gb(fit.diskBytes)}` : '';
  return `${fit.dtype}: ${need}; ${where}${disk}.`;
}

/** What would put models on the GPU when they load on the CPU. */
function gpuHint(machine: MachineInfo): string {
  const startable = machine.providers.filter((p) => GPU_PROVIDERS.includes(p));
  return startable.length
    ? `pick ${startable.join(' or ')} in Settings to use it (the automatic choice never picks WebGPU)`
    : 'no GPU provider starts here (Settings says what each one needs)';
}
