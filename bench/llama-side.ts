// llama.cpp as a bench side, through node-llama-cpp (a bench-only peer in bench/peers): on the CPU for the decode
// bench (bench/decode-sides.ts), on a GPU backend for bench/gpu-decode.ts. A module of its own, without a child entry:
// gpu-decode is bundled into one file to travel to a GPU machine, where a second entry would run too.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Schedule, SideDriver } from './side-schedule';

/* eslint-disable @typescript-eslint/no-explicit-any -- node-llama-cpp is an optional bench peer, loaded untyped */
/** llama.cpp on a GPU (bench/gpu-decode): node-llama-cpp's prebuilt backend, every layer offloaded, this KV cache. */
export interface LlamaGpu {
  backend: 'vulkan' | 'cuda';
  kvType: 'F32' | 'F16';
  flashAttention: boolean;
}

export async function llamaSide(ggufFile: string, schedule: Schedule, gpu?: LlamaGpu): Promise<SideDriver & { loadMs: number }> {
  const peers = join(process.env.BENCH_PEERS_DIR ?? join(import.meta.dirname, 'peers'), 'package.json');
  const entry = createRequire(peers).resolve('node-llama-cpp');
  const { getLlama } = (await import(pathToFileURL(entry).href)) as any;
  const t = performance.now();
  const llama = await getLlama({ gpu: gpu?.backend ?? false, build: 'never', maxThreads: schedule.threads, logLevel: 'error' });
  if (gpu && ((await llama.getGpuDeviceNames()) as string[]).length === 0) throw new Error(`llama.cpp found no ${gpu.backend} device.`);
  const model = await llama.loadModel({ modelPath: ggufFile, gpuLayers: gpu ? 'max' : 0 });
  const context = await model.createContext({
    contextSize: schedule.contextSize,
    batchSize: 512,
    threads: schedule.threads,
    // float32 KV on both sides on the CPU: Distillery's q4 graph keeps its cache in the activation type (float32)
    experimentalKvCacheKeyType: gpu?.kvType ?? 'F32',
    experimentalKvCacheValueType: gpu?.kvType ?? 'F32',
    flashAttention: gpu?.flashAttention ?? false,
  });
  const sequence = context.getSequence();
  const loadMs = performance.now() - t;
  let generator: AsyncGenerator<number> | undefined;
  let pendingInput: number | undefined;
  const stopGenerator = async () => {
    await generator?.return(undefined);
    generator = undefined;
  };
  return {
    loadMs,
    reset: async () => {
      await stopGenerator();
      await sequence.clearHistory();
    },
    prefill: async (tokens) => {
      await stopGenerator();
      await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    },
    // The first step of a run opens a greedy generator fed with its input token; later steps take its next token
    // (which the generator feeds back itself, exactly like the Distillery side feeds its argmax back).
    step: async (id) => {
      if (!generator || pendingInput !== id) {
        await stopGenerator();
        generator = sequence.evaluate([id], { temperature: 0 }) as AsyncGenerator<number>;
      }
      const { value, done } = await generator.next();
      if (done) throw new Error('llama.cpp stopped generating.');
      pendingInput = value;
      return value;
    },
    close: async () => {
      await stopGenerator();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

