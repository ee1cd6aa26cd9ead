/** `info`: ONNX Runtime version, execution providers and the machine's CPU and memory. */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import type { EngineInfo } from '../../contract/engine';
import { registerHandler } from '../registry';
import { describeProviders, ortBindingDir } from '../providers-info';
import { webgpuStatus } from '../webgpu-probe';

export async function collectEngineInfo(): Promise<EngineInfo> {
  const cpus = os.cpus();
  const backends = ort.listSupportedBackends();
  const webgpu = backends.some((b) => b.name === 'webgpu' && b.bundled) ? await webgpuStatus() : undefined;
  return {
    ortVersion: ort.env.versions.node ?? ort.env.versions.common,
    executionProviders: describeProviders(backends, undefined, ortBindingDir(), webgpu),
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

registerHandler('info', async () => {
  return collectEngineInfo();
});
