/**
 * Training tokens come from the base folder: a Qwen-shaped and a Llama-shaped checkpoint whose tokenizer.json puts
 * <｜User｜>, <｜Assistant｜>, <think> and </think> on unusual ids train on exactly those ids; a folder without them
 * is refused. The preview marks the tokens that carry the loss.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from '../testing/factory';
import { writeRemappedR1Tokenizer } from '../testing/remapped-tokenizer';
import { r1TokenId, ASSISTANT, END_THINK, THINK, USER, type TokenizerFamily } from '../tokenizer/r1-tokens';
import type { TraceFields } from '../traces';
import { trainingText } from '../traces/training-text';
import type { NamedTensor } from './adapter';
import { prepareTrainingData } from './data';
import type { PackedBatch } from './packing';
import { previewTrainingTokens } from './preview';
import { loadTrainingTokenizer } from './tokenize';
import { train } from './trainer';

const dir = mkdtempSync(join(tmpdir(), 'distillery-train-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UNUSUAL: Record<TokenizerFamily, Record<string, number>> = {
  qwen2: { [USER]: 151660, [ASSISTANT]: 151652, [THINK]: 151663, [END_THINK]: 151657 },
  llama: { [USER]: 128250, [ASSISTANT]: 128100, [THINK]: 128203, [END_THINK]: 128077 },
};

const traces: TraceFields[] = [
  { question: 'What is 2 + 2?', reasoning: 'Two and two make four.', answer: 'The answer is \\boxed{4}.' },
  { question: 'And doubled?', reasoning: 'Four times two is eight.', answer: '8', turns: [{ role: 'user', content: 'What is 2 + 2?' }, { role: 'assistant', content: '4' }] },
];

function checkpoint(family: TokenizerFamily): string {
  const model = join(dir, family);
  writeTinyCheckpoint(model, { arch: family, hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 24 });
  writeRemappedR1Tokenizer(model, family, UNUSUAL[family]);
  return model;
}

describe.each(['qwen2', 'llama'] as const)('%s-shaped checkpoint with markers on unusual ids', (family) => {
  const ids = UNUSUAL[family];
  const defaults = [USER, ASSISTANT, THINK, END_THINK].map((m) => r1TokenId(family, m));

  it('reads the marker ids from the folder', async () => {
    const tokenizer = await loadTrainingTokenizer(checkpoint(family));
    expect(tokenizer.markers).toMatchObject({ user: ids[USER], assistant: ids[ASSISTANT], think: ids[THINK], endThink: ids[END_THINK] });
    for (const id of Object.values(ids)) expect(defaults).not.toContain(id);
  });

  it('feeds the training step exactly those ids, with the loss from <think> on', async () => {
    const model = join(dir, family);
    const data = join(dir, `${family}.jsonl`);
    writeFileSync(data, traces.map((t) => JSON.stringify(t)).join('\n'));
    const { loaded, tokenizer } = await prepareTrainingData({ data, modelFolder: model, outDir: join(dir, `${family}-run`), maxLen: 256 });
    expect(loaded.records).toHaveLength(2);
    for (const record of loaded.records) {
      const lossStart = record.targetMask.indexOf(1);
      expect(record.inputIds[lossStart - 1]).toBe(ids[ASSISTANT]);
      expect(record.inputIds[lossStart]).toBe(ids[THINK]);
      expect(record.inputIds).toContain(ids[END_THINK]);
      expect(record.inputIds[1]).toBe(ids[USER]);
      expect(record.targetMask.slice(lossStart).every((m) => m === 1)).toBe(true);
      for (const id of defaults) expect(record.inputIds).not.toContain(id);
    }
    // the multi-turn trace: two user turns, the earlier answer without reasoning, one assistant marker per turn
    expect(loaded.records[1].inputIds.filter((id) => id === ids[USER])).toHaveLength(2);
    expect(loaded.records[1].inputIds.filter((id) => id === ids[ASSISTANT])).toHaveLength(2);
    expect(tokenizer.encode(trainingText(traces[0]))).toEqual(loaded.records[0].inputIds);

    const fed: bigint[] = [];
    const zero = (params: Map<string, NamedTensor>) => new Map([...params].map(([k, v]) => [k, new Float32Array(v.data.length)]));
    const runner = {
      run: async (batch: PackedBatch, params: Map<string, NamedTensor>) => {
        fed.push(...batch.inputIds);
        return { loss: 1, grads: zero(params) };
      },
      loss: async () => 1,
    };
    const params = new Map([['w', { shape: [1], data: new Float32Array(1) }]]);
    await train({
      records: loaded.records, params, runner, checkpointDir: join(dir, `${family}-ckpt`),
      config: { seed: 0, epochs: 1, rowsPerBatch: 1, seqLen: 256, gradAccumulation: 1, lr: 1e-3, warmupSteps: 0, checkpointEvery: 0, validateEvery: 0 },
    });
    const fedIds = new Set(fed.map(Number));
    for (const id of Object.values(ids)) expect(fedIds).toContain(id);
    for (const id of defaults) expect(fedIds).not.toContain(id);
  });

  it('previews a record: token texts in order, loss on the assistant part only', async () => {
    const tokenizer = await loadTrainingTokenizer(join(dir, family));
    const { tokens } = previewTrainingTokens(tokenizer, traces[0]);
    expect(tokens.map((t) => t.text).join('')).toBe(trainingText(traces[0]));
    const first = tokens.findIndex((t) => t.loss);
    expect(tokens[first]).toEqual({ id: ids[THINK], text: THINK, loss: true });
    expect(tokens[first - 1]).toEqual({ id: ids[ASSISTANT], text: ASSISTANT, loss: false });
    expect(tokens.slice(first).every((t) => t.loss)).toBe(true);
  });
});

describe('a folder whose tokenizer lacks the R1 markers', () => {
  it('is refused with an error that says what to use instead', async () => {
    const model = join(dir, 'no-user');
    writeTinyCheckpoint(model, { arch: 'qwen2', hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 24 });
    writeRemappedR1Tokenizer(model, 'qwen2', {}, [USER]);
    await expect(loadTrainingTokenizer(model)).rejects.toThrow(/has no <｜User｜> token .*not a DeepSeek-R1 distill tokenizer.*its own tokenizer\.json/);
  });
});
