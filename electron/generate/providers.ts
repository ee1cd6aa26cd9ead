/**
 * Picks the execution provider a model runs on and falls back, provider by provider, when one fails to start.
 * The result says which provider actually runs and why any better one was skipped, with the fix in words.
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ProviderName as ProviderNameSchema, type ProviderFallback, type ProviderName } from '../contract/generation';
import { describeProviders, type ProviderAvailability } from '../engine/providers-info';

export type { ProviderFallback };
export const PROVIDER_NAMES: readonly ProviderName[] = ProviderNameSchema.options;
export type { ProviderName };

export interface SessionChoice {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Providers tried before the one that runs, with why each failed and how to fix it. */
  fallbacks: ProviderFallback[];
}

const FIX: Record<ProviderName, string> = {
  cuda:
    'To use CUDA, install the CUDA 12 provider files: reinstall onnxruntime-node without ONNXRUNTIME_NODE_INSTALL=skip ' +
    '(e.g. `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`), with CUDA 12 and cuDNN 9 installed.',
  dml: 'DirectML needs Windows 10 1903+ with a DirectX 12 GPU: update the GPU driver.',
  coreml: 'CoreML needs macOS on Apple silicon; some operators fall back to the CPU.',
  webgpu: 'WebGPU is experimental: it needs a GPU with current Vulkan, Direct3D 12 or Metal drivers.',
  cpu: 'The CPU provider should always work: the model file may be corrupt; re-convert it.',
};

/** The platform's providers, best first, as the brief's policy says (before checking what is installed). */
export function platformOrder(platform: string = process.platform, arch: string = process.arch): ProviderName[] {
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'webgpu', 'cpu'];
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin' && arch === 'arm64') return ['coreml', 'webgpu', 'cpu'];
  return ['cpu'];
}

/** An NVIDIA driver is loaded (Linux): only then is a missing CUDA provider worth a message. */
export function hasNvidiaGpu(): boolean {
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}

export interface ProviderPlan {
  /** Providers to try, in order. */
  order: ProviderName[];
  /** Providers skipped before trying (not installed), with the reason. */
  skipped: ProviderFallback[];
}

/**
 * Providers to try for `requested` ('auto' or a name). Auto: the platform order, minus those not installed here,
 * minus CUDA where no NVIDIA driver is loaded (nothing to fix there), and minus WebGPU unless `allowWebgpuAuto` (on a
 * machine without a GPU it can start on a software adapter and run far slower than the CPU provider, so auto only
 * picks it where the user or Settings asked for it).
 * A named provider is tried first, then CPU.
 */
export function planProviders(
  requested: string | undefined,
  available: ProviderAvailability[],
  options: { platform?: string; arch?: string; allowWebgpuAuto?: boolean; nvidiaGpu?: boolean } = {},
): ProviderPlan {
  const availability = new Map(available.map((p) => [p.name, p]));
  const skipped: ProviderFallback[] = [];
  const wanted: ProviderName[] =
    !requested || requested === 'auto'
      ? platformOrder(options.platform, options.arch).filter(
          (p) => (p !== 'webgpu' || options.allowWebgpuAuto) && (p !== 'cuda' || (options.nvidiaGpu ?? hasNvidiaGpu())),
        )
      : [asProvider(requested), 'cpu'];
  const order: ProviderName[] = [];
  for (const provider of new Set(wanted)) {
    const info = availability.get(provider);
    if (provider !== 'cpu' && (!info || !info.available)) {
      const notBundled = `${provider} is not available in this build of ONNX Runtime on ${options.platform ?? process.platform}. ${FIX[provider]}`;
      skipped.push({ provider, reason: info?.detail ? `${provider}: ${info.detail}` : notBundled });
      continue;
    }
    order.push(provider);
  }
  if (!order.includes('cpu')) order.push('cpu');
  return { order, skipped };
}

export function asProvider(name: string): ProviderName {
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) return name as ProviderName;
  throw new Error(`Unknown execution provider "${name}": use one of auto, ${PROVIDER_NAMES.join(', ')}.`);
}

export type SessionFactory = (
  onnxPath: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

const defaultFactory: SessionFactory = (onnxPath, options) => ort.InferenceSession.create(onnxPath, options);

/**
 * `deviceOutputs`: outputs to leave on the GPU (a growing graph's present.*): only WebGPU can (onnxruntime-node
 * copies every other provider's outputs back to JavaScript memory). Fed back as the next step's past, the cache then
 * never crosses the bus (bench/gpu-decode.ts: 12× faster steps at 1k tokens on an H200 than the same graph with the
 * cache copied back). Logits and every other output come back to JavaScript memory on every provider.
 */
export function sessionOptions(provider: ProviderName, threads?: number, deviceOutputs: readonly string[] = []): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    // undefined leaves ORT's default: one thread per physical core
    ...(threads ? { intraOpNumThreads: threads } : {}),
    graphOptimizationLevel: 'all',
    // ORT records a memory pattern per set of input shapes and keeps every one: a decoder's inputs grow by one row a
    // step, so no pattern is ever reused and each step kept one more (~48 KB a step for the 1.5B over one 3,000-step
    // run: about 1.4 GB over a 30,000-token thought; bench/decode-memory.ts prints the test-sized model's growth)
    enableMemPattern: false,
    ...(provider === 'webgpu' && deviceOutputs.length ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer' as const])) } : {}),
    logSeverityLevel: 3,
  };
}

/** Creates a session on the first provider of the plan that starts; says why each earlier one did not. */
export async function createSessionWithFallback(
  onnxPath: string,
  requested: string | undefined,
  options: { allowWebgpuAuto?: boolean; factory?: SessionFactory; available?: ProviderAvailability[]; threads?: number; deviceOutputs?: readonly string[] } = {},
): Promise<SessionChoice> {
  const available = options.available ?? describeProviders(ort.listSupportedBackends());
  const plan = planProviders(requested, available, { allowWebgpuAuto: options.allowWebgpuAuto });
  const factory = options.factory ?? defaultFactory;
  const fallbacks = [...plan.skipped];
  for (const provider of plan.order) {
    try {
      const session = await factory(onnxPath, sessionOptions(provider, options.threads, options.deviceOutputs));
      return { session, provider, fallbacks };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0];
      fallbacks.push({ provider, reason: `${provider} failed to start: ${message}. ${FIX[provider]}` });
    }
  }
  const detail = fallbacks.map((f) => `- ${f.reason}`).join('\n');
  throw new Error(`Could not start the model on any execution provider:\n${detail}`);
}

/** One line for the UI/CLI: "Running on cpu (cuda skipped: …)". */
export function describeChoice(provider: ProviderName, fallbacks: ProviderFallback[]): string {
  if (fallbacks.length === 0) return `Running on ${provider}.`;
  return `Running on ${provider}. ${fallbacks.map((f) => f.reason).join(' ')}`;
}
