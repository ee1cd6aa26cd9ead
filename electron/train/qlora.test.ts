/**
 * QLoRA: with a 4-bit frozen base (MatMulNBits), loss and LoRA gradients equal those of the float graph whose base
 * weights are the dequantized 4-bit weights — the backward rule dequantizes exactly what the forward multiplies by.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from '../convert/quantize';
import { parseModelConfig } from '../model/config';
import { randomWeights, tinyConfigJson } from '../testing/tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { serializeModel } from '../onnx/write';
import { LORA_MODULES } from './adapter';
import { buildTrainingGraph } from './lora-graph';
import { Rng } from './rng';

describe('QLoRA (4-bit frozen base)', () => {
  it('matches the float graph on the dequantized weights: loss and every LoRA gradient', async () => {
    const json = tinyConfigJson('qwen2', { intermediate_size: 48 }); // down_proj K = 48: a padded last block
    const config = parseModelConfig(json);
    const weights = randomWeights(json, 6);
    const dequantized = Object.fromEntries(Object.entries(weights).map(([name, t]) => {
      if (!/_proj\.weight$/.test(name)) return [name, t];
      const [N, K] = t.shape;
      return [name, { shape: t.shape, data: dequantizeMatMulNBits(quantizeMatMulNBits(t.data, N, K, { blockSize: 32, symmetric: true })) }];
    }));
    const lora = { rank: 4, alpha: 8, targets: [...LORA_MODULES] };
    const q4 = buildTrainingGraph(config, memoryWeights(weights), { lora, quantizedBase: { blockSize: 32 } });
    const float = buildTrainingGraph(config, memoryWeights(dequantized), { lora });
    expect(q4.graph.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(config.numLayers * 7);

    const rng = new Rng(2);
    const n = 9;
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(Array.from({ length: n }, () => 3 + Math.floor(rng.next() * 90))), attention_mask: i64([1, 1, 1, 1, 2, 2, 2, 2, 2]),
      position_ids: i64([0, 1, 2, 3, 0, 1, 2, 3, 4]), loss_weights: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 0, 1, 1, 1, 1, 0]), [1, n]),
    };
    for (const t of q4.trainables) feeds[t.name] = new ort.Tensor('float32', Float32Array.from({ length: t.shape[0] * t.shape[1] }, () => rng.uniform(-0.2, 0.2)), t.shape);
    const run = async (bytes: Uint8Array) => {
      const session = await ort.InferenceSession.create(bytes);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const [a, b] = [await run(await serializeModel(q4.graph)), await run(await serializeModel(float.graph))];
    expect(Math.abs(Number(a.loss.data[0]) - Number(b.loss.data[0])) / Number(b.loss.data[0])).toBeLessThan(1e-5);
    for (const t of q4.trainables) {
      const [ga, gb] = [a[`grad:${t.name}`].data as Float32Array, b[`grad:${t.name}`].data as Float32Array];
      const scale = Math.max(...Array.from(gb, Math.abs));
      let maxDiff = 0;
      for (let i = 0; i < ga.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ga[i] - gb[i]));
      expect(maxDiff / scale, t.name).toBeLessThan(1e-4);
    }
  });
});
