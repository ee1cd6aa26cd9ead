/**
 * Test helper: ONNX model folders converted by the app's own exporter from H4's checkpoints (scripted: greedy output
 * is a given text; tiny: random weights), cached across test files like the checkpoints themselves.
 */
import { exportModelFolder } from '../model/export';
import { cachedFolder, DEFAULT_SCRIPT, makeScriptedModel, makeTinyModel } from '../testing/fixtures';
import type { Arch } from '../testing/hf-config';

const SOURCES = ['testing', 'tokenizer', 'model', 'onnx'];

export { DEFAULT_SCRIPT };

export async function scriptedOnnxModel(script: string = DEFAULT_SCRIPT, arch: Arch = 'qwen2'): Promise<string> {
  const { hfDir } = await makeScriptedModel(script, arch);
  return cachedFolder('h6-scripted-onnx', { script, arch }, SOURCES, async (dir) => {
    await exportModelFolder(hfDir, dir, { dtype: 'fp32' });
  });
}

export async function tinyOnnxModel(arch: Arch = 'qwen2', seed = 1): Promise<string> {
  const { hfDir } = await makeTinyModel({ arch, seed });
  return cachedFolder('h6-tiny-onnx', { arch, seed }, SOURCES, async (dir) => {
    await exportModelFolder(hfDir, dir, { dtype: 'fp32' });
  });
}
