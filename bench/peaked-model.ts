/**
 * A converted q4 folder whose next-token rows are peaked, as a trained model's are: the same files (hard links) except
 * the weights file, copied with lm_head's float32 scales multiplied by `factor`. lm_head has no bias, so the logits
 * grow by that factor. The synthetic 1.5B's rows are flat (random weights): at temperature 0.6 its 0.95 nucleus holds
 * about 75,000 tokens and the top 256 about 10% of the mass, so every sampled step takes the exact pass over the
 * vocabulary. At ×4 the nucleus held 2–68 tokens and the top 256 at least 98.9% of the mass in a 12-step probe:
 * steps are decided by the candidates, which is what sampling costs on a real model.
 */
import { copyFileSync, linkSync, mkdirSync, openSync, readFileSync, readSync, writeSync, closeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import onnxProto from 'onnx-proto';
import { readManifest } from '../electron/convert/manifest';
import { ModelPool } from '../electron/generate/model-pool';
import { Sampler } from '../electron/generate/sampler';
import { cachedFolder } from '../electron/testing/fixtures';
import { filesUnder } from './page-cache';

export const PEAK_FACTOR = 4;

export async function peakedCopy(onnxDir: string, factor = PEAK_FACTOR): Promise<string> {
  const manifest = await readManifest(onnxDir);
  const modelFile = join(onnxDir, manifest.modelFile);
  const scales = lmHeadScales(modelFile);
  const dir = await cachedFolder('bench-decode-peaked', { onnxDir, factor }, ['model', 'onnx', 'convert'], (staging) => {
    const target = join(staging, 'model');
    for (const file of filesUnder(onnxDir)) {
      const to = join(target, relative(onnxDir, file));
      mkdirSync(dirname(to), { recursive: true });
      if (file === join(dirname(modelFile), scales.location)) {
        copyFileSync(file, to);
        scaleFloats(to, scales.offset, scales.length, factor);
      } else {
        linkSync(file, to);
      }
    }
  });
  return join(dir, 'model');
}

/** Where lm_head's MatMulNBits scales lie in the external data. */
function lmHeadScales(modelFile: string): { location: string; offset: number; length: number } {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelFile));
  const head = model.graph!.node!.find((n) => n.opType === 'MatMulNBits' && n.name!.includes('lm_head'));
  const init = head && model.graph!.initializer!.find((i) => i.name === head.input![2]);
  const field = (key: string) => init?.externalData?.find((e) => e.key === key)?.value;
  if (!init || init.dataType !== 1 || !field('location')) throw new Error(`${modelFile}: no float32 external lm_head MatMulNBits scales to scale`);
  return { location: field('location')!, offset: Number(field('offset') ?? 0), length: Number(field('length')) };
}

function scaleFloats(file: string, offset: number, length: number, factor: number): void {
  const fd = openSync(file, 'r+');
  try {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, offset);
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, length / 4);
    for (let i = 0; i < values.length; i++) values[i] *= factor;
    writeSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Which path decided each of `steps` sampled steps (R1's settings) after a short prompt, in this process. */
export async function samplerPaths(dir: string, threads: number, steps = 24): Promise<{ candidates: number; exact: number }> {
  const pool = new ModelPool();
  await pool.load({ modelId: 'peaked', dir, provider: 'cpu', contextLength: 512, threads });
  try {
    return await pool.run('peaked', async (model) => {
      const sampler = new Sampler({ temperature: 0.6, topP: 0.95, seed: 7 }, model.candidates);
      let logits = await model.decoder.forward(Array.from({ length: 40 }, (_, i) => 1000 + ((i * 31) % 5000)));
      for (let s = 0; s < steps; s++) logits = await model.decoder.forward([await sampler.next(logits)]);
      return { candidates: sampler.paths.candidates, exact: sampler.paths.exact };
    });
  } finally {
    await pool.unload('peaked');
  }
}
