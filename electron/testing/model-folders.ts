/**
 * Test helper: ONNX model folders converted by the app's own exporter from the factory's checkpoints (scripted: greedy output
 * is a given text; tiny: random weights), cached across test files like the checkpoints themselves.
 */
import fs from 'node:fs';
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
