// The generation loop over real ONNX Runtime sessions, on models converted by the app's exporter.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { generate, type GenerationModel } from './generator';
import { inspectModelFolder } from './model-files';
import { ModelPool } from './model-pool';
import { OrtDecoder } from './ort-decoder';
import { argmax } from './sampler';
import { loadModelTokenizer } from '../tokenizer/model-tokenizer';
import { DEFAULT_SCRIPT, scriptedOnnxModel, tinyOnnxModel } from '../testing/model-folders';

const OTHER_SCRIPT = 'Hmm, two and two.\n</think>\n\nFour.';
let scriptedDir: string;
let otherDir: string;
let tinyDir: string;

beforeAll(async () => {
  scriptedDir = await scriptedOnnxModel();
  otherDir = await scriptedOnnxModel(OTHER_SCRIPT);
  tinyDir = await tinyOnnxModel('qwen2');
}, 300_000);

async function ortModel(dir: string, prefillChunk = 256): Promise<GenerationModel & { decoder: OrtDecoder }> {
  const info = inspectModelFolder(dir);
  const session = await ort.InferenceSession.create(info.variants[0].onnxPath);
  const tokenizer = await loadModelTokenizer(dir, info.eosIds);
  return { decoder: new OrtDecoder(session, info.shape, { prefillChunk }), tokenizer, provider: 'cpu', dtype: 'fp32', contextLength: 4096 };
}

describe('generation through ONNX Runtime', () => {
  it('the scripted model says its script, split into thinking and answer, for any prompt', async () => {
    const model = await ortModel(scriptedDir);
    for (const prompt of ['What is 2+2?', 'Let me add. The answer is 5.', '</think> 世界 🎉']) {
      const result = await generate(model, { messages: [{ role: 'user', content: prompt }] }, { temperature: 0 });
      expect(result.reasoning).toBe('Let me add.');
      expect(result.answer).toBe('The answer is \\boxed{4}.');
      expect(result.stats.finishReason).toBe('stop');
    }
    expect(DEFAULT_SCRIPT).toContain('</think>');
  });

  it('KV-cached decoding gives the same logits as recomputing the whole context (tiny random model)', async () => {
    const cached = await ortModel(tinyDir);
    const fresh = await ortModel(tinyDir);
    const prompt = cached.tokenizer.encodeChat([{ role: 'user', content: 'Tell me something.' }]);
    cached.decoder.reset();
    let logits = await cached.decoder.forward(prompt);
    const context = [...prompt];
    for (let step = 0; step < 6; step++) {
      fresh.decoder.reset();
      const reference = await fresh.decoder.forward(context);
      let maxDiff = 0;
      for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[i] - logits[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      const next = argmax(logits);
      context.push(next);
      logits = await cached.decoder.forward([next]);
    }
    expect(cached.decoder.length).toBe(context.length);
  });

  it('a chunked prefill gives the same logits as one pass', async () => {
    const whole = await ortModel(tinyDir, 4096);
    const chunked = await ortModel(tinyDir, 3);
    const prompt = whole.tokenizer.encodeChat([{ role: 'user', content: 'A longer prompt, so that it spans several chunks.' }]);
    const a = await whole.decoder.forward(prompt);
    const b = await chunked.decoder.forward(prompt);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('a prefill stops between chunks once the signal aborts', async () => {
    const model = await ortModel(tinyDir, 3);
    const prompt = model.tokenizer.encodeChat([{ role: 'user', content: 'A longer prompt, so that it spans several chunks.' }]);
    expect(prompt.length).toBeGreaterThan(9);
    const controller = new AbortController();
    const session = model.decoder.session;
    const run = session.run.bind(session);
    let runs = 0;
    session.run = (async (...args: Parameters<typeof run>) => {
      runs++;
      const out = await run(...args);
      if (runs === 2) controller.abort();
      return out;
    }) as typeof session.run;
    await model.decoder.forward(prompt, controller.signal);
    expect(runs).toBe(2);
    expect(model.decoder.length).toBe(6);
  });

  it('the attention_mask of each step is [1, context] ones, views of one buffer instead of a new one per token', async () => {
    const model = await ortModel(tinyDir, 4);
    const session = model.decoder.session;
    const run = session.run.bind(session);
    const masks: ort.Tensor[] = [];
    session.run = (async (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
      masks.push(feeds.attention_mask);
      return (run as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>)(feeds, ...rest);
    }) as typeof session.run;
    const prompt = model.tokenizer.encodeChat([{ role: 'user', content: 'Hello there.' }]);
    let logits = await model.decoder.forward(prompt);
    for (let step = 0; step < 3; step++) logits = await model.decoder.forward([argmax(logits)]);
    let total = 0;
    const chunks = [...Array.from({ length: Math.ceil(prompt.length / 4) }, (_, i) => Math.min(4, prompt.length - 4 * i)), 1, 1, 1];
    expect(masks).toHaveLength(chunks.length);
    masks.forEach((mask, i) => {
      total += chunks[i];
      expect(mask.dims).toEqual([1, total]);
      expect(mask.data.length).toBe(total);
      expect([...(mask.data as BigInt64Array)].every((v) => v === 1n)).toBe(true);
      expect((mask.data as BigInt64Array).buffer).toBe((masks[0].data as BigInt64Array).buffer);
    });
  });

  it('two models loaded at once generate concurrently, steps interleaved, each correct', async () => {
    // turns of no time: the two caches and samplers must stay apart when the models switch after every run
    const pool = new ModelPool({ turnSliceMs: 0 });
    const a = await pool.load({ modelId: 'a', dir: scriptedDir, contextLength: 2048 });
    await pool.load({ modelId: 'b', dir: otherDir, contextLength: 2048 });
    expect(a.provider).toBe('cpu');
    expect(a.dtype).toBe('fp32');
    expect(pool.list().map((m) => m.modelId).sort()).toEqual(['a', 'b']);
    const order: string[] = [];
    const input = { messages: [{ role: 'user' as const, content: 'hi' }] };
    const run = (id: string) =>
      pool.run(id, (m) => generate(m, input, { temperature: 0 }, { onEvent: () => order.push(id) }));
    const [ra, rb] = await Promise.all([run('a'), run('b')]);
    expect(ra.answer).toBe('The answer is \\boxed{4}.');
    expect(rb.reasoning).toBe('Hmm, two and two.');
    expect(rb.answer).toBe('Four.');
    expect(order.indexOf('b')).toBeLessThan(order.lastIndexOf('a'));
    expect(await pool.unload('a')).toBe(true);
    expect(pool.list().map((m) => m.modelId)).toEqual(['b']);
    await pool.unload('b');
  }, 180_000); // two engines' worth of loads: minutes on a loaded 2-core machine

  it('refuses to load when the memory estimate does not fit, saying what to do', async () => {
    const pool = new ModelPool({ availableMemory: () => 10 * 1024 * 1024 });
    await expect(pool.load({ modelId: 'x', dir: scriptedDir })).rejects.toThrow(/Not enough memory.*KV cache for 32768 tokens.*Unload another model/s);
    const loaded = await pool.load({ modelId: 'x', dir: scriptedDir, ignoreMemoryCheck: true });
    expect(loaded.estimate.fits).toBe(false);
    await pool.unload('x');
  });

  it('same model, two requests: they queue instead of sharing a KV cache', async () => {
    const pool = new ModelPool();
    await pool.load({ modelId: 'a', dir: scriptedDir, contextLength: 1024 });
    const input = { messages: [{ role: 'user' as const, content: 'hi' }] };
    const results = await Promise.all([1, 2].map(() => pool.run('a', (m) => generate(m, input, { temperature: 0 }))));
    for (const r of results) expect(r.answer).toBe('The answer is \\boxed{4}.');
    await pool.unload('a');
    expect(fs.existsSync(scriptedDir)).toBe(true);
  });
});
