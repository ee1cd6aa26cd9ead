/**
 * Which ONNX Runtime execution providers this machine can use, and for the ones it cannot, what to do about it.
 * CUDA is not bundled with onnxruntime-node: its provider libraries are downloaded by the package's install script
 * unless ONNXRUNTIME_NODE_INSTALL=skip, so we check that the files exist next to the native binding.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ExecutionProviderInfo } from '../contract/engine';

export interface BackendListing {
  name: string;
  bundled: boolean;
}

/** The contract's ExecutionProviderInfo (engine `info` answers with it). */
export type ProviderAvailability = ExecutionProviderInfo;

const CUDA_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
const CUDA_FIX =
  'Install the CUDA 12 provider files with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` ' +
  '(needs an NVIDIA GPU with the CUDA 12 runtime and cuDNN 9).';

/** Folder holding onnxruntime_binding.node (and, once installed, the CUDA provider libraries). */
export function ortBindingDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
}

const WEBGPU_NEEDS = 'WebGPU needs a GPU with current Vulkan, Direct3D 12 or Metal drivers.';

/**
 * `webgpu`: the result of really starting WebGPU (./webgpu-probe.ts); without it a bundled WebGPU counts as
 * available, as ORT lists it.
 */
export function describeProviders(
  backends: BackendListing[],
  fileExists: (file: string) => boolean = existsSync,
  bindingDir: string = ortBindingDir(),
  webgpu?: { available: boolean; reason?: string },
): ProviderAvailability[] {
  return backends.map(({ name, bundled }) => {
    if (name === 'cuda' || name === 'tensorrt') return describeCudaFamily(name, bindingDir, fileExists);
    if (name === 'webgpu') {
      if (bundled && webgpu && !webgpu.available) {
        return { name, available: false, detail: `No GPU adapter: ${webgpu.reason ?? 'WebGPU did not start'}. ${WEBGPU_NEEDS}` };
      }
      return { name, available: bundled, detail: `Experimental; ${WEBGPU_NEEDS.replace('WebGPU needs', 'needs')}` };
    }
    return bundled ? { name, available: true } : { name, available: false, detail: `${name} is not bundled here.` };
  });
}

function describeCudaFamily(
  name: string,
  bindingDir: string,
  fileExists: (file: string) => boolean,
): ProviderAvailability {
  const needed = name === 'tensorrt' ? [...CUDA_FILES, 'libonnxruntime_providers_tensorrt.so'] : CUDA_FILES;
  const missing = needed.filter((file) => !fileExists(path.join(bindingDir, file)));
  if (missing.length === 0) {
    const gpuNote = name === 'tensorrt' ? 'needs TensorRT 10 libraries on the library path' : 'needs CUDA 12 and cuDNN 9';
    return { name, available: true, detail: `Provider files installed; ${gpuNote}.` };
  }
  return { name, available: false, detail: `Missing ${missing.join(', ')} in ${bindingDir}. ${CUDA_FIX}` };
}
