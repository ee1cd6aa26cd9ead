// convertCheckpoint: a Hugging Face R1-distill folder → a transformers.js model folder in one dtype, streamed tensor by
// tensor, written into a temporary folder beside the target and renamed into place only when complete.
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { writeModel } from '../onnx/write';
import { loadModelConfig, expectedWeightShapes } from '../model/config';
import { SafetensorsCheckpoint } from '../model/safetensors';
import { checkTokenizerFiles } from '../tokenizer/model-tokenizer';
import { validateWeights } from '../model/weights';
import { setExternalDataChunks } from '../model/export';
import { checkFreeSpace, type FreeSpaceFn } from './disk';
import type { ConversionCounts } from '../util/float16';
import { buildConvertedGraph } from './graph';
import { FUSED_GRAPH, XKV_GRAPH, XKV_ROWS_GRAPH } from '../model/fused-decoder';
import { CONVERTER_VERSION, describeSourceFiles, MANIFEST_FORMAT_VERSION, writeManifest, type Manifest, type SourceFile } from './manifest';
import { ProgressTracker, type ProgressListener } from './progress';
import { partialPrefix, removePartialLock, writePartialLock } from './partials';
import { moveIntoPlace, planReplace, SIDE_FILES } from './replace';
import { sourceDifference, sourceProblem } from './source-check';
import { estimateOutputBytes, quantizationInfo, resolveStrategy, type DtypeStrategy, type StrategyOptions } from './settings';
import { checkFloatWeight, ConvertError } from './source';
import { CancelledError, type TensorJob } from './tensors';

export interface ConvertOptions extends StrategyOptions {
  dtype: string;
  /** Replace an earlier conversion in the output folder (default: refuse). Never replaces a folder without a manifest. */
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Minimum ms between progress events (default 200; the first and last of each phase always come). */
  progressIntervalMs?: number;
  /** Free-space probe (tests inject one). */
  freeSpace?: FreeSpaceFn;
  /** Start a new external-data file past this many bytes (default 2e9). */
  dataChunkBytes?: number;
  /**
   * A re-conversion: the source files an earlier conversion recorded. Their sha256s are checked before anything is
   * built, and any difference refuses the conversion (the weights would not be the model's any more).
   */
  expectSource?: SourceFile[];
}

export interface ConvertResult {
  outDir: string;
  modelFile: string;
  manifest: Manifest;
  seconds: number;
}

/** Files copied unchanged (when present) next to the ONNX model. config.json is rewritten, not copied. */
const COPIED_FILES = SIDE_FILES.filter((name) => name !== 'config.json');
const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

export async function convertCheckpoint(hfDir: string, outDir: string, options: ConvertOptions): Promise<ConvertResult> {
  const started = Date.now();
  const source = resolve(hfDir);
  const target = resolve(outDir);
  if (target === source || source.startsWith(target + sep)) {
    throw new ConvertError(`The output folder ${target} must not be (or contain) the Hugging Face folder ${source}: pick a new folder.`);
  }
  const strategy = resolveStrategy(options.dtype, options);
  const { config, checkpoint } = openAndValidate(source);
  await checkTokenizerFiles(source).catch((error: Error) => {
    throw new ConvertError(error.message);
  });
  const replace = await planReplace(target, options.overwrite ?? false, `onnx/${strategy.fileName}`);
  const estimate = estimateOutputBytes(config, strategy);
  await checkFreeSpace(target, estimate, options.freeSpace);

  await mkdir(dirname(target), { recursive: true });
  const temp = await mkdtemp(join(dirname(target), partialPrefix(target)));
  try {
    await writePartialLock(temp);
    const tracker = new ProgressTracker('checksum', 0, 0, options.onProgress, options.progressIntervalMs);
    const sourceFiles = await sourceFileNames(source, checkpoint);
    const files = await checksumSources(source, sourceFiles, tracker, options.signal);
    const changed = options.expectSource && sourceDifference(options.expectSource, files);
    if (changed) throw new ConvertError(`Nothing was replaced. ${sourceProblem(source, changed, 'changed')}`);
    const counts: ConversionCounts = { overflowed: 0, flushedToZero: 0 };
    const job: TensorJob = { signal: options.signal, counts, onSourceBytes: (n) => tracker.addBytes(n), onTensorDone: () => tracker.tensorDone() };
    const { graph, plan, fused } = buildConvertedGraph(config, checkpoint, strategy, job);
    tracker.restart('convert', plan.reads.length, plan.reads.reduce((a, e) => a + e.byteLength, 0));
    await mkdir(join(temp, 'onnx'));
    const written = await writeModel(graph, join(temp, 'onnx', strategy.fileName), {
      chunkBytes: options.dataChunkBytes,
      docString: `Converted by Distillery ${CONVERTER_VERSION} (${strategy.dtype}) from ${basename(source)}`,
    });
    throwIfAborted(options.signal);
    tracker.restart('finish', 0, 0);
    await writeSideFiles(source, temp, config.raw, strategy, written.dataFiles.length);
    const manifest: Manifest = {
      format: 'distillery-model',
      formatVersion: MANIFEST_FORMAT_VERSION,
      converter: { name: 'distillery-convert', version: CONVERTER_VERSION },
      createdAt: new Date().toISOString(),
      dtype: strategy.dtype,
      modelFile: `onnx/${strategy.fileName}`,
      architecture: config.modelType,
      source: { folder: source, files },
      quantization: quantizationInfo(strategy),
      fp16: strategy.floatWeights === 'float16' || strategy.quantize ? { overflow: 'saturate', ...counts } : null,
      outputBytes: written.externalBytes,
      graph: fused ? (strategy.portable ? FUSED_GRAPH : strategy.valueLayout === 'rows' ? XKV_ROWS_GRAPH : XKV_GRAPH) : undefined,
    };
    await writeManifest(temp, manifest);
    throwIfAborted(options.signal);
    await removePartialLock(temp);
    await moveIntoPlace(temp, target, replace);
    return { outDir: target, modelFile: join(target, manifest.modelFile), manifest, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Config, shards and tensors checked before anything is written: each problem is a clear error. */
function openAndValidate(source: string) {
  if (!existsSync(source)) throw new ConvertError(`${source} does not exist: check the path (it must be a Hugging Face model folder).`);
  if (!statSync(source).isDirectory()) throw new ConvertError(`${source} is a file, not a folder: point at the Hugging Face model folder that holds it.`);
  for (const file of REQUIRED_FILES) {
    if (!existsSync(join(source, file))) {
      throw new ConvertError(`${source} has no ${file}: point at a Hugging Face model folder (config.json, tokenizer files, *.safetensors).`);
    }
  }
  const config = loadModelConfig(source);
  const checkpoint = SafetensorsCheckpoint.open(source);
  validateWeights(config, checkpoint, source);
  for (const name of expectedWeightShapes(config).keys()) checkFloatWeight(checkpoint.get(name));
  return { config, checkpoint };
}

async function sourceFileNames(source: string, checkpoint: SafetensorsCheckpoint): Promise<string[]> {
  // The paths of the files whose tensors are read (the index keeps them inside `source`), so the manifest hashes exactly them.
  const shards = new Set([...checkpoint.entries.values()].map((e) => relative(source, e.file).split(sep).join('/')));
  const extra = ['config.json', 'model.safetensors.index.json', ...COPIED_FILES].filter((f) => existsSync(join(source, f)));
  return [...extra, ...[...shards].sort()];
}

async function checksumSources(source: string, names: string[], tracker: ProgressTracker, signal?: AbortSignal) {
  let total = 0;
  for (const name of names) total += (await stat(join(source, name))).size;
  tracker.restart('checksum', names.length, total);
  try {
    const files = [];
    for (const name of names) {
      files.push(...(await describeSourceFiles(source, [name], (n) => tracker.addBytes(n), signal)));
      tracker.tensorDone();
    }
    return files;
  } catch (error) {
    if (signal?.aborted) throw new CancelledError();
    throw error;
  }
}

/** config.json (with the transformers.js external-data setting for this file) and the tokenizer files. */
async function writeSideFiles(source: string, temp: string, rawConfig: Record<string, unknown>, strategy: DtypeStrategy, dataChunks: number) {
  const jsConfig = { ...((rawConfig['transformers.js_config'] as Record<string, unknown> | undefined) ?? {}) };
  setExternalDataChunks(jsConfig, strategy.fileName, dataChunks);
  jsConfig.dtype = strategy.dtype;
  const config = { ...rawConfig, 'transformers.js_config': jsConfig };
  await writeFile(join(temp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  for (const name of COPIED_FILES) {
    if (existsSync(join(source, name))) await copyFile(join(source, name), join(temp, name));
  }
}
