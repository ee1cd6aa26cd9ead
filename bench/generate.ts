/**
 * Generation overhead benchmark: decode tokens/s and time to first token of the full app path (engine process,
 * model pool, sampler, R1 splitter, streamed events over IPC to the host) against a bare ONNX Runtime greedy loop
 * (one session, KV cache fed back, argmax) on the same model in the same run, at a short and a long context.
 *
 *   npx tsx bench/generate.ts [--model <converted folder>] [--provider cpu|cuda|webgpu|dml|coreml] [--tokens N]
 *                             [--long-prompt N] [--reps N] [--json]
 *
 * Without --model it converts a synthetic qwen2 model (random weights, real 151,936 vocab) once into os.tmpdir().
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { EngineHost } from '../electron/engine/host';
import { nodeEngineSpawner } from '../electron/engine/spawn-node';
import { inspectModelFolder, pickVariant, type DecoderShape } from '../electron/generate/model-files';
import { argmax } from '../electron/generate/sampler';
import { f16ToF32Array } from '../electron/util/float16';
import { loadModelTokenizer } from '../electron/tokenizer/model-tokenizer';
import { exportModelFolder } from '../electron/model/export';
import { cachedFolder, makeTinyModel } from '../electron/testing/fixtures';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function benchModel(): Promise<string> {
  const given = arg('model');
  if (given) return given;
  const shape = { arch: 'qwen2' as const, seed: 7, hidden: 512, layers: 8, heads: 8, kvHeads: 2, intermediate: 1536 };
  const { hfDir } = await makeTinyModel(shape);
  return cachedFolder('bench-generate-onnx', shape, ['model', 'onnx'], async (dir) => {
    await exportModelFolder(hfDir, dir, { dtype: 'fp32' });
  });
}

interface Timing {
  ttftMs: number;
  tokS: number;
  produced: number;
  /** App only: share of the engine's decode time spent outside ORT (sampling, splitting, events). */
  loopOverheadPct?: number;
}

/** The baseline: what a minimal program does with the same model file. */
async function bareGreedy(session: ort.InferenceSession, shape: DecoderShape, prompt: number[], tokens: number): Promise<Timing> {
  const past: Record<string, ort.Tensor> = {};
  const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  const f16 = meta?.isTensor === true && meta.type === 'float16';
  for (let i = 0; i < shape.layers; i++) {
    for (const kind of ['key', 'value']) {
      const empty = f16 ? new ort.Tensor('float16', new Uint16Array(0), [1, shape.kvHeads, 0, shape.headDim]) : new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim]);
      past[`past_key_values.${i}.${kind}`] = empty;
    }
  }
  const start = performance.now();
  let first = 0;
  let ids = prompt;
  let length = 0;
  for (let produced = 0; produced < tokens; produced++) {
    const total = length + ids.length;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(length + i)), [1, ids.length]),
      ...past,
    });
    for (const name of Object.keys(past)) past[name] = out[name.replace('past_key_values.', 'present.')];
    const vocab = Number(out.logits.dims[2]);
    const row = (out.logits.data as Float32Array | Uint16Array).subarray(out.logits.data.length - vocab);
    length = total;
    ids = [argmax(out.logits.type === 'float16' ? f16ToF32Array(row as Uint16Array) : row)];
    if (produced === 0) first = performance.now();
  }
  return { ttftMs: first - start, tokS: (tokens - 1) / ((performance.now() - first) / 1000), produced: tokens };
}

/**
 * The app path as the UI sees it: host → engine (IPC) → pool → generate() → streamed text events → result back.
 * Rates come from the host's clock at the streamed events, which carry the tokens generated so far.
 */
async function appGreedy(engine: EngineHost, dir: string, content: string, tokens: number, provider: string, dtype: string): Promise<Timing> {
  const start = performance.now();
  const call = engine.stream('generate.run', {
    modelId: 'bench',
    load: { dir, provider, dtype, contextLength: 8192 },
    messages: [{ role: 'user', content }],
    options: { temperature: 0, maxNewTokens: tokens },
  });
  const seen: { at: number; tokens: number }[] = [];
  for await (const { event, data } of call.events) {
    if (event === 'text') seen.push({ at: performance.now(), tokens: data.tokens });
  }
  const result = await call.result;
  const end = performance.now();
  const n = result.stats.completionTokens;
  const first = seen[0] ?? { at: end, tokens: n };
  const tokS = (n - first.tokens) / ((end - first.at) / 1000); // the result arrives after the last token
  // a first event can come a token or two after the first token (held whitespace, split characters)
  return { ttftMs: first.at - start - ((first.tokens - 1) / tokS) * 1000, tokS, produced: n, loopOverheadPct: result.stats.loopOverheadPct };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the benchmark and prints its table (or JSON with --json). bench/index.ts can call it. */
export async function runGenerateBench(): Promise<void> {
  const dir = await benchModel();
  const tokens = Number(arg('tokens', '48'));
  const longPrompt = Number(arg('long-prompt', '1024'));
  const reps = Number(arg('reps', '3'));
  const provider = arg('provider', 'cpu')!;
  const info = inspectModelFolder(dir);
  const variant = pickVariant(info, arg('dtype'), false);
  const tokenizer = await loadModelTokenizer(dir, info.eosIds);
  const session = await ort.InferenceSession.create(variant.onnxPath, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  const engine = new EngineHost({ spawn: nodeEngineSpawner() });
  await engine.start();
  const filler = 'The quick brown fox jumps over the lazy dog. ';
  const cases = [
    { name: 'short', content: 'What is 2+2?' },
    { name: `long (~${longPrompt} prompt tokens)`, content: filler.repeat(Math.ceil(longPrompt / 10)) },
  ];
  const rows = [];
  try {
    for (const c of cases) {
      const prompt = tokenizer.encodeChat([{ role: 'user', content: c.content }]);
      await appGreedy(engine, dir, c.content, 2, provider, variant.dtype); // warm-up both paths
      await bareGreedy(session, info.shape, prompt, 2);
      const app: Timing[] = [];
      const bare: Timing[] = [];
      for (let r = 0; r < reps; r++) {
        const a = await appGreedy(engine, dir, c.content, tokens, provider, variant.dtype);
        app.push(a);
        bare.push(await bareGreedy(session, info.shape, prompt, a.produced)); // eos may come early: same count
      }
      const appStats = { ttftMs: median(app.map((t) => t.ttftMs)), tokS: median(app.map((t) => t.tokS)) };
      const bareStats = { ttftMs: median(bare.map((t) => t.ttftMs)), tokS: median(bare.map((t) => t.tokS)) };
      const n = app[0].produced;
      rows.push({
        case: c.name,
        promptTokens: prompt.length,
        newTokens: n,
        bareTtftMs: bareStats.ttftMs,
        appTtftMs: appStats.ttftMs,
        bareTokS: bareStats.tokS,
        appTokS: appStats.tokS,
        decodeOverheadPct: 100 * (bareStats.tokS / appStats.tokS - 1),
        ttftOverheadPct: 100 * (appStats.ttftMs / bareStats.ttftMs - 1),
        loopOverheadPct: median(app.map((t) => t.loopOverheadPct ?? 0)),
      });
    }
  } finally {
    await engine.stop();
    await session.release();
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ model: dir, dtype: variant.dtype, cpu: os.cpus()[0]?.model, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`model ${dir} (${variant.dtype}, ${info.shape.layers} layers) on ${provider}, CPU ${os.cpus()[0]?.model} ×${os.cpus().length}, ${reps} reps, medians\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.case.padEnd(28)} prompt ${String(r.promptTokens).padStart(5)}  new ${r.newTokens}  ` +
        `TTFT bare ${r.bareTtftMs.toFixed(1)} ms / app ${r.appTtftMs.toFixed(1)} ms (${r.ttftOverheadPct.toFixed(1)}%)  ` +
        `decode bare ${r.bareTokS.toFixed(2)} tok/s / app ${r.appTokS.toFixed(2)} tok/s (overhead ${r.decodeOverheadPct.toFixed(1)}%, ratio ${(r.appTokS / r.bareTokS).toFixed(3)})  ` +
        `app time outside ORT while decoding ${r.loopOverheadPct.toFixed(2)}%\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runGenerateBench();
