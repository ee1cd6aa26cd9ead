/**
 * What this machine offers a model: RAM, free disk where the files will go (the hub cache and the models folder),
 * GPUs and their memory where the platform tells (nvidia-smi; ONNX Runtime's Node binding has no device-memory
 * query, so otherwise "unknown"), and the execution providers that work.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { freeSpace } from '../convert/disk';
import { availableMemoryBytes } from '../generate/memory';

export interface GpuInfo {
  name: string;
  memoryBytes: number;
  freeBytes?: number;
}

export interface DiskInfo {
  role: 'hub-cache' | 'models';
  path: string;
  /** undefined when the filesystem could not be asked. */
  freeBytes?: number;
}

export interface MachineInfo {
  totalMemoryBytes: number;
  availableMemoryBytes: number;
  disks: DiskInfo[];
  /** undefined: unknown (no nvidia-smi); [] : nvidia-smi ran and found none. */
  gpus?: GpuInfo[];
  gpuNote: string;
  /** Execution providers that work here (cpu always). */
  providers: string[];
}

export type GpuProbe = () => Promise<GpuInfo[] | undefined>;

/** nvidia-smi's view of the NVIDIA GPUs; undefined when it is absent or fails. */
export const nvidiaSmi: GpuProbe = () =>
  new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'], { timeout: 5000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(parseNvidiaSmi(stdout));
    });
  });

export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  return stdout
    .split('\n')
    .map((line) => line.split(',').map((part) => part.trim()))
    .filter((parts) => parts.length >= 2 && parts[0] && Number.isFinite(Number(parts[1])))
    .map(([name, total, free]) => ({ name, memoryBytes: Number(total) * 1024 * 1024, ...(Number.isFinite(Number(free)) ? { freeBytes: Number(free) * 1024 * 1024 } : {}) }));
}

export interface ProbeOptions {
  hubCacheDir: string;
  modelsDir: string;
  providers: string[];
  gpus?: GpuProbe;
  freeSpace?: (dir: string) => Promise<number>;
}

export async function probeMachine(options: ProbeOptions): Promise<MachineInfo> {
  const free = options.freeSpace ?? freeSpace;
  const disk = async (role: DiskInfo['role'], dir: string): Promise<DiskInfo> => {
    try {
      return { role, path: dir, freeBytes: await free(dir) };
    } catch {
      return { role, path: dir };
    }
  };
  const [hubDisk, modelsDisk, gpus] = await Promise.all([
    disk('hub-cache', options.hubCacheDir),
    disk('models', options.modelsDir),
    (options.gpus ?? nvidiaSmi)(),
  ]);
  const gpuNote = gpus === undefined
    ? 'GPU memory unknown: nvidia-smi is not available and ONNX Runtime cannot report device memory.'
    : gpus.length === 0 ? 'No NVIDIA GPU found.' : gpus.map((g) => g.name).join(', ');
  return {
    totalMemoryBytes: os.totalmem(),
    availableMemoryBytes: availableMemoryBytes(),
    disks: [hubDisk, modelsDisk],
    ...(gpus !== undefined ? { gpus } : {}),
    gpuNote,
    providers: options.providers.includes('cpu') ? options.providers : ['cpu', ...options.providers],
  };
}
