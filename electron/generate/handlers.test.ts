import { describe, expect, it } from 'vitest';
import { BATCH_MS, TextBatcher, type GenerateTextEvent } from './handlers';

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
