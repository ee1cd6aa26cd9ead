/**
 * Whether a model's folder holds an older, slower graph than the converter writes now and can be re-converted for speed: read from its distillery.json
 * (converter version, graph, the checkpoint it came from with each file's size and sha256). What the list shows is
 * the cheap check (the checkpoint's files are there with their recorded sizes); the re-conversion checks every
 * sha256 before it builds anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isQuantized, StartConvertInput, type ConvertedWith, type SpeedUpgrade, type StartConvertParams } from '../contract/convert';
import { Manifest, MANIFEST_FILE } from '../convert/manifest';
import { fitsFusedGraph } from '../convert/graph';
import { quickSourceCheck } from '../convert/source-check';
import { FUSED_GRAPH, PORTABLE_ON_CPU, XKV_GRAPH, XKV_ROWS_GRAPH, XKV_V2_GRAPH } from '../model/fused-decoder';
import type { ModelRecord } from '../store';

/** Converter 1.0 wrote no `graph`: its decoder concatenates the KV cache (README, "Where the speed comes from"). */
const STANDARD_GRAPH = 'standard';

/**
 * Why an older graph is slower, in figures measured on it. Standard against fused graph, same q4 weights: README's
 * table (`npm run bench -- decode`: decode step at ~512 tokens 1.57×, prefill of 512 tokens 7.8×). The 1.1 fused graph
 * (GroupQueryAttention's cache): onnxruntime-node copies the whole preallocated present back every step, 264 MB a
 * step at 4,608 tokens of the 1.5B.
 */
const SLOWER: Record<'standard' | 'gqa', string> = {
  standard: ', before the fused graph: about 1.6× slower decode and 8× slower prefill',
  gqa: ': its KV cache is copied back whole on every step (264 MB a step at 4,608 tokens for the 1.5B), so decode slows down as a thought grows',
};

/** Which older graph a folder holds, when the converter now writes a faster one for it; undefined when none is faster. */
function olderGraph(manifest: Manifest): keyof typeof SLOWER | undefined {
  if (manifest.graph === undefined) return 'standard';
  // Since 1.2 the GroupQueryAttention graph is what `--portable` asks for (other runtimes load it): a choice, kept
  // unless the model runs on the CPU (slowOnCpu).
  // 1.2's external cache with values as rows ('fused-xkv-v1') is not offered 1.3's Vᵀ blocks: they gain only deep in a
  // context (1.03–1.22× a step at 4,096 tokens, about even below 2,048), not worth re-reading a checkpoint for; nor is
  // 1.4's prefill branch ('fused-xkv-v3': a prompt's chunks 3–12% faster on the CPU, decode unchanged).
  if (manifest.graph === FUSED_GRAPH && olderThan(manifest.converter.version, [1, 2])) return 'gqa';
  return undefined;
}

/** Graphs whose KV cache the engine feeds in from JavaScript memory on every step (the converter's default since 1.2). */
const EXTERNAL_CACHE_GRAPHS: ReadonlySet<string> = new Set([XKV_GRAPH, XKV_V2_GRAPH, XKV_ROWS_GRAPH]);

/**
 * Why the folder's graph is slow on WebGPU: an external cache is uploaded whole on every token, where the portable
 * graph's stays on the GPU (model-pool's deviceOutputs; `npm run bench -- gpu-decode` on an H200, README "On a GPU").
 * Undefined when there is nothing faster for WebGPU (the portable graph of 1.2 or later, a graph this version does not know).
 */
function slowOnWebgpu(manifest: Manifest): string | undefined {
  if (manifest.graph !== undefined && EXTERNAL_CACHE_GRAPHS.has(manifest.graph)) {
    return (
      'This model runs on WebGPU, where its graph copies the whole KV cache to the GPU on every token (about 9 tokens/s ' +
      'for a 1.5B after 1,000 tokens on an H200, against 93 with the portable graph, whose cache stays on the GPU; on the ' +
      'CPU the portable graph is the slower one).'
    );
  }
  const older = olderGraph(manifest);
  return older && `${convertedEarlier(manifest, older)}; on WebGPU the portable graph keeps the cache on the GPU.`;
}

/** Why an older graph is slower wherever the model runs; undefined for the graphs this version writes. */
function slowerAnywhere(manifest: Manifest): string | undefined {
  const older = olderGraph(manifest);
  return older && `${convertedEarlier(manifest, older)}.`;
}

/**
 * Why the portable graph is slow on the CPU, where the default graph keeps the cache in the engine's buffers: its
 * whole past goes in and its whole present comes back as a new JavaScript array on every token (README, "Re-convert
 * for speed": `npm run bench -- gpu-decode --provider cpu` on the 1.5B). Offered only where the model runs on the CPU:
 * a portable folder is a choice made for WebGPU or for other runtimes.
 */
function slowOnCpu(manifest: Manifest): string | undefined {
  const earlier = slowerAnywhere(manifest);
  if (earlier || manifest.graph !== FUSED_GRAPH) return earlier;
  return (
    'This model runs on the CPU, and its folder holds the portable graph (for WebGPU and for runtimes such as ' +
    `transformers.js), whose whole KV cache is copied back on every token: ${PORTABLE_ON_CPU}. The default graph ` +
    'keeps the cache where ONNX Runtime reads it (keep the portable folder if another runtime loads it).'
  );
}

/** "Converted by an older Distillery (converter 1.0.0), before the fused graph: …" */
function convertedEarlier(manifest: Manifest, older: keyof typeof SLOWER): string {
  return `Converted by an older Distillery (converter ${manifest.converter.version})${SLOWER[older]}`;
}

function olderThan(version: string, [major, minor]: [number, number]): boolean {
  const [a = 0, b = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return a < major || (a === major && b < minor);
}

/** A folder's manifest, or undefined when it has none or it does not parse (imported folders, damaged manifests). */
export function readFolderManifest(dir: string): Manifest | undefined {
  try {
    const parsed = Manifest.safeParse(JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest of a folder Distillery converted; undefined for imported and fine-tuned folders and damaged manifests. */
export function convertedManifest(record: ModelRecord): Manifest | undefined {
  return record.source === 'converted' ? readFolderManifest(record.path) : undefined;
}

/** The manifest a re-conversion starts from, or why there is none (a folder Distillery did not convert, a damaged manifest). */
export function recordedManifest(record: ModelRecord): { manifest: Manifest } | { problem: string } {
  const manifest = convertedManifest(record);
  if (manifest) return { manifest };
  return { problem: `“${record.name}” was not converted by Distillery (its folder has no readable distillery.json): there is no recorded checkpoint to re-convert from.` };
}

export function convertedWith(manifest: Manifest): ConvertedWith {
  return { converterVersion: manifest.converter.version, graph: manifest.graph ?? STANDARD_GRAPH };
}

/** The head size the registry recorded for the folder (model-files' DecoderShape), when it did. */
function headDimOf(record: ModelRecord): number | undefined {
  const headDim = (record.manifest?.shape as { headDim?: unknown } | undefined)?.headDim;
  return typeof headDim === 'number' ? headDim : undefined;
}

const KEEPS = 'Re-converting reads the checkpoint again (every file’s sha256 is checked first) and keeps this model’s name, settings and chats.';

/**
 * Undefined when there is nothing to offer: the folder already has the fastest graph for where the model runs (or the
 * portable one, not known to run on the CPU), or its shape has no fused graph (the converter would write the same
 * standard graph again). `runningJob`: a re-conversion of it in progress. `provider`: where the model runs (loaded) or
 * will run (its own or Settings' choice, where it starts); on WebGPU the offer is the portable graph, on the CPU a
 * portable folder is offered the default one.
 */
export function speedUpgradeOf(record: ModelRecord, manifest: Manifest, runningJob?: string, provider?: string): SpeedUpgrade | undefined {
  if (runningJob) return { state: 'running', jobId: runningJob };
  const forWebgpu = provider === 'webgpu';
  const why = forWebgpu ? slowOnWebgpu(manifest) : provider === 'cpu' ? slowOnCpu(manifest) : slowerAnywhere(manifest);
  if (!why) return undefined;
  const headDim = headDimOf(record);
  if (headDim !== undefined && !fitsFusedGraph(headDim)) return undefined;
  const check = quickSourceCheck(manifest.source);
  if (!check.ok) return { state: 'unavailable', reason: check.reason, message: check.message };
  return { state: 'available', sourceFolder: manifest.source.folder, why: `${why} ${KEEPS}`, ...(forWebgpu ? { portable: true } : {}) };
}

/**
 * The same conversion again into the same folder: dtype and quantization settings from the manifest, replacing it;
 * `portable` where the offer was the portable graph (WebGPU).
 */
export function reconvertInput(record: ModelRecord, manifest: Manifest, portable = false): StartConvertParams {
  const q = manifest.quantization;
  const quantized = q && isQuantized(manifest.dtype)
    ? {
        blockSize: q.blockSize,
        asymmetric: !q.symmetric,
        accuracyLevel: q.accuracyLevel,
        quantizeEmbeddings: q.embeddings === 'q4',
        quantizeLmHead: q.lmHead === 'q4',
      }
    : {};
  return StartConvertInput.parse({
    hfDir: manifest.source.folder,
    outDir: record.path,
    dtype: manifest.dtype,
    ...quantized,
    ...(portable ? { portable: true } : {}),
    register: true,
    force: true,
    name: record.name,
  });
}
