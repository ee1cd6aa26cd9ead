/** `distillery train export-graph` writes a graph ORT loads with the documented I/O; bad flags give clear errors. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/index';
import { randomWeights, tinyConfigJson, writeTinyCheckpoint } from '../testing/tiny-checkpoint';
import { writeTinyCheckpoint as writeFactoryCheckpoint } from '../testing/factory';

const dir = mkdtempSync(join(tmpdir(), 'distillery-train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('distillery train export-graph', () => {
  it('writes the LoRA training graph with input_ids/attention_mask/position_ids/loss_weights, PEFT-named inputs, loss and grads', async () => {
    const json = tinyConfigJson('qwen2', { num_hidden_layers: 2 });
    const model = join(dir, 'hf');
    writeTinyCheckpoint(model, json, randomWeights(json, 2), { dtype: 'BF16' });
    const out = join(dir, 'train.onnx');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await runCli(['node', 'distillery', 'train', 'export-graph', '--model', model, '--out', out, '--rank', '4', '--alpha', '8', '--targets', 'q_proj,v_proj']);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    expect(code, printed).toBe(0);
    expect(printed).toMatch(/LoRA: +r=4 alpha=8 scaling=2\.000 targets=q_proj,v_proj/);
    const session = await ort.InferenceSession.create(out);
    const lora = ['q_proj', 'v_proj'].flatMap((m) => [0, 1].flatMap((i) => ['A', 'B'].map((w) => `base_model.model.model.layers.${i}.self_attn.${m}.lora_${w}.weight`)));
    expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'loss_weights', 'position_ids', ...lora].sort());
    expect([...session.outputNames].sort()).toEqual(['loss', ...lora.map((k) => `grad:${k}`)].sort());
    await session.release();
  });

  it('refuses unknown targets and a missing model folder with a message saying what to do', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const bad = await runCli(['node', 'distillery', 'train', 'export-graph', '--model', dir, '--out', join(dir, 'x.onnx'), '--targets', 'q_proj,foo']);
    const missing = await runCli(['node', 'distillery', 'train', 'export-graph', '--model', join(dir, 'nope'), '--out', join(dir, 'x.onnx')]);
    const printed = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(bad).toBe(1);
    expect(missing).toBe(1);
    expect(printed).toMatch(/unknown LoRA target 'foo'/);
    expect(printed).toMatch(/has no config\.json: give the folder of a Hugging Face checkpoint/);
  });

  it('train run: fine-tunes a tiny real-vocabulary model on a JSONL of traces, reports bad lines, writes the adapter', async () => {
    const model = join(dir, 'tiny-qwen');
    writeFactoryCheckpoint(model, { arch: 'qwen2', hidden: 32, layers: 1, heads: 4, kvHeads: 2, intermediate: 48 });
    const data = join(dir, 'traces.jsonl');
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ question: `What is ${i} + ${i}?`, reasoning: `${i} plus ${i} is ${2 * i}.`, answer: `\\boxed{${2 * i}}` }));
    writeFileSync(data, [...lines.slice(0, 4), '{broken', JSON.stringify({ question: 'q' }), ...lines.slice(4)].join('\n'));
    const out = join(dir, 'run');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await runCli(['node', 'distillery', 'train', 'run', '--model', model, '--data', data, '--out', out, '--rank', '2',
      '--targets', 'q_proj,v_proj', '--epochs', '1', '--seq', '64', '--batch', '2', '--accum', '1', '--lr', '1e-3', '--val-fraction', '0.25']);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    const errors = stderr.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    stderr.mockRestore();
    expect(code, printed + errors).toBe(0);
    expect(errors).toMatch(/traces\.jsonl:5: broken JSON/);
    expect(errors).toMatch(/traces\.jsonl:6: missing text field "reasoning"/);
    expect(printed).toMatch(/6 training records, 2 validation records/);
    expect(printed).toMatch(/step 1\/\d+ +loss \d/);
    expect(existsSync(join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  }, 120_000);
});

