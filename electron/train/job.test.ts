/** A fine-tuning run over a checkpoint folder ends with a PEFT adapter (LoRA) or a converted model (full). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomWeights, tinyConfigJson, writeTinyCheckpoint } from '../testing/tiny-checkpoint';
import { writeR1TokenizerFiles } from '../tokenizer/r1-tokenizer';
import * as ort from 'onnxruntime-node';
import { parseModelConfig } from '../model/config';
import { checkpointWeights } from '../model/weights';
import { serializeModel } from '../onnx/write';
import { readAdapter } from './adapter';
import { buildTrainingGraph } from './lora-graph';
import { runFineTune } from './job';
import type { TrainingRecord } from './packing';
import type { TrainConfig } from './trainer';

const dir = mkdtempSync(join(tmpdir(), 'distillery-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const json = tinyConfigJson('qwen2');
const model = join(dir, 'hf');
writeTinyCheckpoint(model, json, randomWeights(json, 4), { dtype: 'BF16' });
writeR1TokenizerFiles(model, 'qwen2'); // a merged or fully trained folder carries the base's tokenizer, checked like any model's
const records: TrainingRecord[] = Array.from({ length: 12 }, (_, i) => ({ inputIds: [1, 10 + i, 20 + i, 30 + i, 2], targetMask: [0, 0, 1, 1, 1] }));
const config: TrainConfig = { seed: 1, epochs: 1, rowsPerBatch: 2, seqLen: 16, gradAccumulation: 1, lr: 1e-3, warmupSteps: 1, checkpointEvery: 1 };

describe('runFineTune', () => {
  it('LoRA: writes a PEFT adapter whose B factors moved away from zero', async () => {
    const result = await runFineTune({ modelFolder: model, outDir: join(dir, 'lora'), records, lora: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] }, config });
    expect(result.outcome.status).toBe('completed');
    const { config: peft, tensors } = readAdapter(result.output!);
    expect(peft.base_model_name_or_path).toBe(model);
    const b = tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!;
    expect(b.data.some((v) => v !== 0)).toBe(true);
  });

  it('full: writes a converted model folder derived from the base', async () => {
    const result = await runFineTune({ modelFolder: model, outDir: join(dir, 'full'), records, full: true, config });
    expect(result.outcome.status).toBe('completed');
    expect(existsSync(join(result.output!, 'onnx', 'model.onnx'))).toBe(true);
    expect(existsSync(join(result.output!, 'distillery_derived.json'))).toBe(true);
    if (result.outcome.status !== 'completed') return;
    // the exported model computes what the training graph computed with the trained weights (layouts restored)
    const ids = [1, 14, 24, 34, 2, 9, 17];
    const n = ids.length;
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
    const common = { input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, t) => t)) };
    const cfg = parseModelConfig(json);
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < cfg.numLayers; i++) for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.numKvHeads, 0, cfg.headDim]);
    }
    const exported = await ort.InferenceSession.create(join(result.output!, 'onnx', 'model.onnx'));
    const exportedLogits = (await exported.run({ ...common, ...past })).logits.data as Float32Array;
    await exported.release();
    const evalGraph = buildTrainingGraph(cfg, checkpointWeights(model), { full: true, forwardOnly: true, keepLogits: true });
    const feeds: Record<string, ort.Tensor> = { ...common, loss_weights: new ort.Tensor('float32', new Float32Array(n), [1, n]) };
    for (const t of evalGraph.trainables) feeds[t.name] = new ort.Tensor('float32', result.outcome.params.get(t.name)!.data, t.shape);
    const session = await ort.InferenceSession.create(await serializeModel(evalGraph.graph));
    const trainedLogits = (await session.run(feeds)).logits.data as Float32Array;
    await session.release();
    let maxDiff = 0;
    for (let i = 0; i < trainedLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(trainedLogits[i] - exportedLogits[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
