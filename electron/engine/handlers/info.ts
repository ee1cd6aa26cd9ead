/** `info`: ONNX Runtime version, execution providers and the machine's CPU and memory. */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { registerHandler } from '../registry';
import { describeProviders, type ProviderAvailability } from '../providers-info';

export interface EngineInfoResult {
  ortVersion: string;
  executionProviders: ProviderAvailability[];
  platform: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  freeMemoryBytes: number;
  nodeVersion: string;
  pid: number;
}

export function collectEngineInfo(): EngineInfoResult {
  const cpus = os.cpus();
  return {
    ortVersion: ort.env.versions.node ?? ort.env.versions.common,
    executionProviders: describeProviders(ort.listSupportedBackends()),
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() || 'unknown CPU',
    cpuCount: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    totalMemoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
    nodeVersion: process.versions.node,
    pid: process.pid,
  };
}

registerHandler({
  method: 'info',
  async handle() {
    return collectEngineInfo();
  },
});
