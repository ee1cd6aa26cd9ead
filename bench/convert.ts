// Converter benchmark: a synthetic checkpoint with the exact R1-Distill-Qwen-1.5B shapes (random bf16, ~3.5 GB in
// os.tmpdir(), deleted afterwards) converted to fp16 and q4 (and fp32 for the decode comparison); seconds and peak RSS
// of each conversion measured in a child process; then decode tokens/s of q4 vs fp32 with a bare ORT greedy loop.
// Optional (--70b): a 70B-shaped checkpoint with one layer (fp16, q4, q4 + q4 embeddings), to check that peak RSS
// stays bounded although the embedding and lm_head are 2.1 GB each in fp16 (they are streamed in chunks).
//   npx tsx bench/convert.ts [--70b] [--keep] [--convert-only]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childJson } from './child-json';
import { R1_LLAMA_70B, R1_QWEN_1_5B, writeSyntheticCheckpoint } from './synth-checkpoint';

const SELF = fileURLToPath(import.meta.url);

export interface ConvertBenchRow {
  model: string;
  dtype: string;
  seconds: number;
  peakRssMB: number;
  outputMB: number;
}

export interface DecodeBenchRow {
  model: string;
  dtype: string;
  tokensPerSecond: number;
  prefillMs: number;
  loadSeconds: number;
  peakRssMB: number;
}

/** Runs this file in a child Node (through tsx) and returns its last stdout line as JSON. */
function child(args: string[]): Promise<Record<string, number>> {
  return childJson<Record<string, number>>(SELF, args);
}

const maxRssMB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KB

async function childConvert(src: string, out: string, dtype: string, extra: string): Promise<void> {
  const { convertCheckpoint } = await import('../electron/convert/convert');
  const options = extra ? (JSON.parse(extra) as Record<string, unknown>) : {};
  const result = await convertCheckpoint(src, out, { dtype, ...options });
  console.log(JSON.stringify({ seconds: result.seconds, peakRssMB: maxRssMB(), outputMB: result.manifest.outputBytes / 1e6 }));
}

async function childDecode(file: string, layers: string, kvHeads: string, headDim: string): Promise<void> {
  const { greedyDecode } = await import('./decode-loop');
  const r = await greedyDecode(file, { layers: +layers, kvHeads: +kvHeads, headDim: +headDim }, 16, 32);
  console.log(JSON.stringify({ tokensPerSecond: r.tokensPerSecond, prefillMs: r.prefillMs, loadSeconds: r.loadMs / 1000, peakRssMB: maxRssMB() }));
}

export async function runConvertBench(options: { with70b?: boolean; keep?: boolean; convertOnly?: boolean; log?: (line: string) => void } = {}) {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = await mkdtemp(join(tmpdir(), 'distillery-bench-convert-'));
  const conversions: ConvertBenchRow[] = [];
  const decodes: DecodeBenchRow[] = [];
  try {
    const src = join(root, 'qwen-1.5b');
    let t = performance.now();
    const bytes = writeSyntheticCheckpoint(src, R1_QWEN_1_5B);
    log(`synthesized 1.5B-shaped checkpoint: ${(bytes / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const dtype of options.convertOnly ? ['fp16', 'q4'] : ['fp16', 'q4', 'fp32']) {
      const r = await child(['--child-convert', src, join(root, `out-${dtype}`), dtype, '']);
      conversions.push({ model: 'qwen-1.5b', dtype, seconds: r.seconds, peakRssMB: r.peakRssMB, outputMB: r.outputMB });
      log(`convert 1.5B → ${dtype}: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB, output ${r.outputMB.toFixed(0)} MB`);
    }
    const files: Record<string, string> = { q4: 'model_q4.onnx', fp32: 'model.onnx', fp16: 'model_fp16.onnx' };
    for (const dtype of options.convertOnly ? [] : ['q4', 'fp32', 'fp16']) {
      t = performance.now();
      const file = join(root, `out-${dtype}`, 'onnx', files[dtype]);
      const r = await child(['--child-decode', file, String(R1_QWEN_1_5B.layers), String(R1_QWEN_1_5B.kvHeads), String(R1_QWEN_1_5B.hidden / R1_QWEN_1_5B.heads)]);
      decodes.push({ model: 'qwen-1.5b', dtype, tokensPerSecond: r.tokensPerSecond, prefillMs: r.prefillMs, loadSeconds: r.loadSeconds, peakRssMB: r.peakRssMB });
      log(`decode 1.5B ${dtype}: ${r.tokensPerSecond.toFixed(2)} tokens/s (16-token prompt ${r.prefillMs.toFixed(0)} ms, load ${r.loadSeconds.toFixed(1)} s, RSS ${r.peakRssMB.toFixed(0)} MB)`);
    }
    await rm(src, { recursive: true, force: true });
    if (options.with70b) {
      const big = join(root, 'llama-70b-1layer');
      t = performance.now();
      const b = writeSyntheticCheckpoint(big, R1_LLAMA_70B, { layers: 1 });
      log(`synthesized 70B-shaped checkpoint (1 layer): ${(b / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      // fp16 writes the 2.1 GB embedding and lm_head whole-size; q4 keeps the embedding fp16 (the default).
      const runs: [string, string, Record<string, unknown>][] = [['fp16', 'fp16', {}], ['q4', 'q4', {}], ['q4 (q4 embeddings)', 'q4', { quantizeEmbeddings: true }]];
      for (const [label, dtype, extra] of runs) {
        const out = join(root, 'out-70b');
        const r = await child(['--child-convert', big, out, dtype, JSON.stringify(extra)]);
        await rm(out, { recursive: true, force: true });
        conversions.push({ model: 'llama-70b-1layer', dtype: label, seconds: r.seconds, peakRssMB: r.peakRssMB, outputMB: r.outputMB });
        log(`convert 70B-shaped (1 layer) → ${label}: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB, output ${r.outputMB.toFixed(0)} MB`);
      }
    }
  } finally {
    if (!options.keep) await rm(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
  return { conversions, decodes };
}

const [mode, ...rest] = process.argv.slice(2);
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (mode === '--child-convert') await childConvert(rest[0], rest[1], rest[2], rest[3]);
  else if (mode === '--child-decode') await childDecode(rest[0], rest[1], rest[2], rest[3]);
  else {
    const args = process.argv.slice(2);
    const result = await runConvertBench({ with70b: args.includes('--70b'), keep: args.includes('--keep'), convertOnly: args.includes('--convert-only') });
    console.log(JSON.stringify(result, null, 2));
  }
}
