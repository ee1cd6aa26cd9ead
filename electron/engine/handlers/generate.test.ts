import { describe, expect, it } from 'vitest';
import { GenerationSettings, MAX_NEW_TOKENS } from '../../contract/inference';
import type { GenerateTextEvent } from '../../contract/generation';
import { BATCH_MS, GenerateOptionsSchema, TextBatcher } from './generate';

describe('TextBatcher', () => {
  it('sends the first piece at once, then merges pieces of the same type until the timer or a flush', async () => {
    const sent: GenerateTextEvent[] = [];
    const batcher = new TextBatcher((e) => sent.push({ ...e }));
    batcher.push({ type: 'reasoning', text: 'Let', tokens: 1 });
    expect(sent).toEqual([{ type: 'reasoning', text: 'Let', tokens: 1 }]);
    batcher.push({ type: 'reasoning', text: ' me', tokens: 2 });
    batcher.push({ type: 'reasoning', text: ' add.', tokens: 4 });
    batcher.push({ type: 'answer', text: 'Four', tokens: 6 });
    expect(sent).toHaveLength(1);
    await new Promise((r) => setTimeout(r, BATCH_MS + 30));
    expect(sent.slice(1)).toEqual([
      { type: 'reasoning', text: ' me add.', tokens: 4 },
      { type: 'answer', text: 'Four', tokens: 6 },
    ]);
    batcher.push({ type: 'answer', text: '.', tokens: 7 });
    batcher.flush();
    expect(sent.at(-1)).toEqual({ type: 'answer', text: '.', tokens: 7 });
    batcher.flush();
    expect(sent).toHaveLength(4);
  });
});

describe('GenerateOptionsSchema', () => {
  it('is the contract\'s GenerationSettings (same field schemas, so limits cannot drift) plus engine-only knobs', () => {
    const { provider, dtype, ...sampling } = GenerationSettings.shape;
    expect(provider && dtype).toBeTruthy();
    for (const [name, field] of Object.entries(sampling)) {
      expect(GenerateOptionsSchema.shape[name as keyof typeof sampling], name).toBe(field);
    }
    expect(Object.keys(GenerateOptionsSchema.shape).sort()).toEqual([...Object.keys(sampling), 'repetitionPenalty'].sort());
  });

  it('takes the contract\'s limits and refuses what the host resolves itself or misspells', () => {
    expect(GenerateOptionsSchema.safeParse({ maxNewTokens: MAX_NEW_TOKENS, repetitionPenalty: 1.1 }).success).toBe(true);
    expect(GenerateOptionsSchema.safeParse({ maxNewTokens: MAX_NEW_TOKENS + 1 }).success).toBe(false);
    expect(GenerateOptionsSchema.safeParse({ provider: 'cpu' }).success).toBe(false);
    expect(GenerateOptionsSchema.safeParse({ max_new_tokens: 10 }).success).toBe(false);
  });
});
