// ModelPool's load/unload lifecycle over real ONNX Runtime sessions: failed loads release their session, and loads
// and unloads of one model apply in the order they were asked.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { inspectModelFolder } from './model-files';
import { CPU_GROWING_CACHE, ModelPool, WEBGPU_EXTERNAL_CACHE } from './model-pool';
import type { SessionFactory } from './providers';
import { scriptedOnnxModel } from '../testing/model-folders';
import { fusedModel, makeTinyModel } from '../testing/fixtures';

let dir: string;

beforeAll(async () => {
  dir = await scriptedOnnxModel();
}, 300_000);

/** Real sessions, counted: how many were created and how many of those were released. */
function countingFactory() {
  const counts = { created: 0, released: 0 };
  const factory: SessionFactory = async (onnxPath, options) => {
    const session = await ort.InferenceSession.create(onnxPath, options);
    counts.created++;
    const release = session.release.bind(session);
    session.release = async () => {
      counts.released++;
      return release();
    };
    return session;
  };
  return { counts, factory };
}

/** Real sessions named 'a' then 'b' in the order created, each run logged by name (`onRun` sees the log so far). */
function runLoggingFactory(runs: string[], onRun: () => void = () => undefined): SessionFactory {
  let created = 0;
  return async (onnxPath, options) => {
    const session = await ort.InferenceSession.create(onnxPath, options);
    const name = created++ === 0 ? 'a' : 'b';
    const run = session.run.bind(session);
    session.run = ((...args: Parameters<typeof run>) => {
      runs.push(name);
      onRun();
      return run(...args);
    }) as typeof session.run;
    return session;
  };
}

describe('ModelPool lifecycle', () => {
  it('releases the session when the model is not a KV-cache decoder, and reports why', async () => {
    let released = 0;
    const notADecoder = {
      inputNames: ['input_ids', 'attention_mask'],
      outputNames: ['logits'],
      inputMetadata: [],
      release: async () => {
        released++;
      },
    } as unknown as ort.InferenceSession;
    const pool = new ModelPool({ sessionFactory: async () => notADecoder });
    await expect(pool.load({ modelId: 'x', dir, provider: 'cpu', contextLength: 256 })).rejects.toThrow(/no "past_key_values\.0\.key" input.*Re-convert/);
    expect(released).toBe(1);
    expect(pool.list()).toEqual([]);
  });

  it('an unload asked during a load unloads the model that load made', async () => {
    const { counts, factory } = countingFactory();
    const pool = new ModelPool({ sessionFactory: factory });
    const loading = pool.load({ modelId: 'a', dir, contextLength: 512 });
    const unloading = pool.unload('a');
    await expect(loading).resolves.toMatchObject({ modelId: 'a', contextLength: 512 });
    await expect(unloading).resolves.toBe(true);
    expect(pool.list()).toEqual([]);
    expect(counts).toEqual({ created: 1, released: 1 });
  });

  it('a second load with other settings during a load reloads with those settings', async () => {
    const { counts, factory } = countingFactory();
    const pool = new ModelPool({ sessionFactory: factory });
    const first = pool.load({ modelId: 'a', dir, contextLength: 512 });
    const second = pool.load({ modelId: 'a', dir, contextLength: 1024 });
    await expect(first).resolves.toMatchObject({ contextLength: 512 });
    await expect(second).resolves.toMatchObject({ contextLength: 1024 });
    expect(pool.list().map((m) => m.contextLength)).toEqual([1024]);
    expect(counts).toEqual({ created: 2, released: 1 });
    await pool.unload('a');
    expect(counts.released).toBe(2);
  });

  it('two loads with the same settings share one session; a failed load does not block the next', async () => {
    const { counts, factory } = countingFactory();
    const pool = new ModelPool({ sessionFactory: factory });
    const [a, b] = await Promise.all([1, 2].map(() => pool.load({ modelId: 'a', dir, contextLength: 512 })));
    expect(b).toBe(a);
    expect(counts.created).toBe(1);
    await expect(pool.load({ modelId: 'a', dir: `${dir}-missing`, contextLength: 2048 })).rejects.toThrow();
    await expect(pool.load({ modelId: 'a', dir, contextLength: 512 })).resolves.toMatchObject({ contextLength: 512 });
    await pool.unload('a');
    expect(counts.released).toBe(counts.created);
  });
});

describe('ModelPool queue', () => {
  /** A generation that runs until released or until its signal fires (then it ends with what it has, as generate does). */
  function blockingRun() {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sawSignal: AbortSignal | undefined;
    const fn = async (_model: unknown, _info: unknown, signal: AbortSignal) => {
      sawSignal = signal;
      await Promise.race([released, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
      return signal.aborted ? 'stopped' : 'complete';
    };
    return { fn, release, signal: () => sawSignal };
  }

  it('a queued generation that is cancelled leaves the queue at once and never starts', async () => {
    const pool = new ModelPool();
    await pool.load({ modelId: 'a', dir, contextLength: 256 });
    const first = blockingRun();
    const running = pool.run('a', first.fn);
    const stop = new AbortController();
    let queuedStarted = false;
    const queued = pool.run('a', async () => (queuedStarted = true), stop.signal);
    const third = pool.run('a', async () => 'third');
    stop.abort();
    // Rejected while the first still runs: nothing waits for the replies ahead of it.
    await expect(queued).rejects.toThrow(/Cancelled before it started/);
    expect(first.signal()?.aborted).toBe(false);
    first.release();
    await expect(running).resolves.toBe('complete');
    await expect(third).resolves.toBe('third'); // the queue goes on in order
    expect(queuedStarted).toBe(false);
    await pool.unload('a');
  });

  it('unloading a model stops its running generation and drops the queued ones instead of waiting for them', async () => {
    const pool = new ModelPool();
    await pool.load({ modelId: 'a', dir, contextLength: 256 });
    const first = blockingRun();
    const running = pool.run('a', first.fn);
    const queued = pool.run('a', async () => 'never');
    await new Promise((resolve) => setImmediate(resolve));
    await expect(pool.unload('a')).resolves.toBe(true); // would wait forever for `first` before
    await expect(running).resolves.toBe('stopped');
    await expect(queued).rejects.toThrow(/The model "a" was unloaded/);
    expect(pool.list()).toEqual([]);
  });

  it('generations on two models take turns in slices: per run with a zero slice, whole replies with a long one', async () => {
    const order = async (turnSliceMs: number) => {
      const runs: string[] = [];
      const pool = new ModelPool({ sessionFactory: runLoggingFactory(runs), turnSliceMs });
      await pool.load({ modelId: 'a', dir, contextLength: 256 });
      await pool.load({ modelId: 'b', dir, contextLength: 256 });
      // as the generator does: a prompt, then one token per run, yielding to the event loop in between
      const reply = (modelId: string) =>
        pool.run(modelId, async (m) => {
          await m.decoder.forward([1, 2, 3]);
          for (let i = 0; i < 4; i++) {
            await m.decoder.forward([4 + i]);
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
      await Promise.all([reply('a'), reply('b')]);
      await pool.unload('a');
      await pool.unload('b');
      return runs.join('');
    };
    expect(await order(0)).toBe('ababababab');
    expect(await order(60_000)).toBe('aaaaabbbbb');
  });

  it('a generation stopped while it waits for its turn stops at once, not after the other model\'s turn', async () => {
    const runs: string[] = [];
    const stopB = new AbortController();
    // at a's third run b is waiting: a holds a 60 s turn
    const sessionFactory = runLoggingFactory(runs, () => runs.length === 3 && stopB.abort());
    const pool = new ModelPool({ sessionFactory, turnSliceMs: 60_000 });
    await pool.load({ modelId: 'a', dir, contextLength: 256 });
    await pool.load({ modelId: 'b', dir, contextLength: 256 });
    const reply = (modelId: string, signal?: AbortSignal) =>
      pool.run(modelId, async (m, _info, stopped) => {
        await m.decoder.forward([1, 2, 3]);
        for (let i = 0; i < 12 && !stopped.aborted; i++) {
          await m.decoder.forward([4 + i]);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }, signal);
    const a = reply('a');
    const bEndedAfter = reply('b', stopB.signal).then(() => runs.length);
    await a;
    // b ran its one pending step right after the stop, out of turn, instead of waiting for a's whole reply (13 runs)
    expect(await bEndedAfter).toBeLessThanOrEqual(5);
    expect(runs.filter((r) => r === 'b')).toHaveLength(1);
    expect(runs.filter((r) => r === 'a')).toHaveLength(13);
    await pool.unload('a');
    await pool.unload('b');
  });
});

describe('where the KV cache lives', () => {
  it('WebGPU is asked to keep a growing graph\'s presents on the GPU; the default graph\'s cache is the engine\'s', async () => {
    const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 11 });
    const portableDir = (await fusedModel(hfDir, { dtype: 'fp32', portable: true })).onnxDir;
    const defaultDir = (await fusedModel(hfDir, { dtype: 'fp32' })).onnxDir;
    const asked: { provider: unknown; onDevice: string[] }[] = [];
    const factory: SessionFactory = async (onnxPath, options) => {
      asked.push({ provider: options.executionProviders?.[0], onDevice: Object.keys(options.preferredOutputLocation ?? {}) });
      return ort.InferenceSession.create(onnxPath, { ...options, executionProviders: ['cpu'], preferredOutputLocation: undefined }); // no GPU here
    };
    const pool = new ModelPool({ sessionFactory: factory });
    const onGpu = await pool.load({ modelId: 'portable', dir: portableDir, provider: 'webgpu', contextLength: 256 });
    const uploading = await pool.load({ modelId: 'default', dir: defaultDir, provider: 'webgpu', contextLength: 256 });
    const onCpu = await pool.load({ modelId: 'portable on cpu', dir: portableDir, provider: 'cpu', contextLength: 256 });
    expect([onGpu.advice, uploading.advice, onCpu.advice]).toEqual([undefined, WEBGPU_EXTERNAL_CACHE, CPU_GROWING_CACHE]); // says what to do
    const { layers } = inspectModelFolder(portableDir).shape;
    expect(asked.map((a) => a.provider)).toEqual(['webgpu', 'webgpu', 'cpu']);
    expect(asked[0].onDevice.sort()).toEqual(Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat().sort());
    expect(asked[1].onDevice).toEqual([]);
    expect(asked[2].onDevice).toEqual([]);
    const defaultOnCpu = await pool.load({ modelId: 'default on cpu', dir: defaultDir, provider: 'cpu', contextLength: 256 });
    expect(defaultOnCpu.advice).toBeUndefined(); // the cache stays in the engine's buffers
    // GroupQueryAttention for prefill chunks where it was measured (the CPU), the decode formulation elsewhere
    const fusedPrefill = (modelId: string) => Array.from((pool as unknown as { entries: Map<string, { decoder: { fusedPrefill?: ort.Tensor } }> }).entries.get(modelId)!.decoder.fusedPrefill!.data as Uint8Array);
    expect([fusedPrefill('default on cpu'), fusedPrefill('default')]).toEqual([[1], [0]]);
    for (const m of pool.list()) await pool.unload(m.modelId);
  }, 240_000);
});

