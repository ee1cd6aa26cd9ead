/**
 * Test helper: ONNX model folders converted by the app's own exporter from the factory's checkpoints (scripted: greedy output
 * is a given text; tiny: random weights), cached across test files like the checkpoints themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeSourceFiles, writeManifest } from '../convert/manifest';
import { exportModelFolder } from '../model/export';
import { cachedFolder, DEFAULT_SCRIPT, makeScriptedModel, makeTinyModel } from './fixtures';
import type { Arch } from './hf-config';

const SOURCES = ['testing', 'tokenizer', 'model', 'onnx'];

export { DEFAULT_SCRIPT };

/**
 * The fixture cache prunes folders whose mtime is older than a few hours when another fixture of the same kind is
 * built; a folder left by an earlier run can be old yet in use right now. Touching it on every use keeps it.
 */
function inUse(dir: string): string {
  const now = new Date();
  fs.utimesSync(dir, now, now);
  return dir;
}

export async function scriptedOnnxModel(script: string = DEFAULT_SCRIPT, arch: Arch = 'qwen2'): Promise<string> {
  const hfDir = inUse((await makeScriptedModel(script, arch)).hfDir);
  const dir = await cachedFolder('h6-scripted-onnx', { script, arch }, SOURCES, async (out) => {
    await exportModelFolder(hfDir, out, { dtype: 'fp32' });
  });
  return inUse(dir);
}

export async function tinyOnnxModel(arch: Arch = 'qwen2', seed = 1): Promise<string> {
  const hfDir = inUse((await makeTinyModel({ arch, seed })).hfDir);
  const dir = await cachedFolder('h6-tiny-onnx', { arch, seed }, SOURCES, async (out) => {
    await exportModelFolder(hfDir, out, { dtype: 'fp32' });
  });
  return inUse(dir);
}

/** The source files converter 1.0 recorded (and 1.1 reads): config, index, tokenizer and side files, shards. */
const RECORDED_SOURCE = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|LICENSE|.*\.safetensors(\.index\.json)?)$/;

/**
 * A folder as converter 1.0 wrote it, for "re-convert for speed": the standard decoder graph (growing KV cache) in
 * fp32 and a manifest without `graph`, recording `hfDir`'s files with their sha256. Written fresh (not cached): the
 * tests replace it.
 */
export async function writeLegacyConvertedFolder(hfDir: string, outDir: string): Promise<void> {
  const exported = await exportModelFolder(hfDir, outDir, { dtype: 'fp32' });
  const names = fs.readdirSync(hfDir).filter((name) => RECORDED_SOURCE.test(name)).sort();
  await writeManifest(outDir, {
    format: 'distillery-model',
    formatVersion: 1,
    converter: { name: 'distillery-convert', version: '1.0.0' },
    createdAt: new Date().toISOString(),
    dtype: 'fp32',
    modelFile: 'onnx/model.onnx',
    architecture: exported.config.modelType,
    source: { folder: path.resolve(hfDir), files: await describeSourceFiles(hfDir, names) },
    quantization: null,
    fp16: null,
    outputBytes: exported.externalBytes,
  });
}
