import { beforeAll, describe, expect, it } from 'vitest';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { R1StreamSplitter, mergeEvents, type R1SpecialIds, type StreamEvent } from './r1-stream';
import { loadTestTokenizer } from '../testing/fake-tokenizer';

let tok: PreTrainedTokenizer;
let ids: R1SpecialIds;
const decoder = { decode: (t: number[]) => tok.decode(t, { skip_special_tokens: false }) };

beforeAll(async () => {
  tok = await loadTestTokenizer();
  const [think, endThink, eos] = tok.convert_tokens_to_ids(['<think>', '</think>', '<|endoftext|>']);
  ids = { think, endThink, eos: [eos] };
});

const enc = (text: string): number[] => tok.encode(text, { add_special_tokens: false });

function run(tokens: number[], splitter = new R1StreamSplitter(decoder, ids)) {
  const events: StreamEvent[] = [];
  for (const t of tokens) events.push(...splitter.push(t));
  events.push(...splitter.finish());
  return { events, splitter };
}

const joined = (events: StreamEvent[], type: StreamEvent['type']) =>
  events.filter((e) => e.type === type).map((e) => e.text).join('');

describe('R1StreamSplitter', () => {
  it('splits the forced-think output (no opening tag) at </think>', () => {
    const tokens = [...enc('Let me add.\n'), ids.endThink, ...enc('\n\nThe answer is 4.'), ids.eos[0]];
    const { events, splitter } = run(tokens);
    expect(joined(events, 'reasoning')).toBe('Let me add.');
    expect(joined(events, 'answer')).toBe('The answer is 4.');
    expect(mergeEvents(events).map((e) => e.type)).toEqual(['reasoning', 'answer']);
    expect(splitter.thinkingOpen).toBe(false);
    expect(splitter.thinkingTokens).toBe(enc('Let me add.\n').length + 1);
    expect(splitter.answerTokens).toBe(enc('\n\nThe answer is 4.').length);
  });

  it('consumes an explicit opening <think> and handles a skipped thought', () => {
    const tokens = [ids.think, ...enc('\n\n'), ids.endThink, ...enc('\n\nHi there'), ids.eos[0]];
    const { events, splitter } = run(tokens);
    expect(joined(events, 'reasoning')).toBe('');
    expect(splitter.reasoning).toBe('');
    expect(splitter.answer).toBe('Hi there');
    expect(events.every((e) => e.type === 'answer')).toBe(true);
  });

  it('keeps thinking left open at the token limit as reasoning', () => {
    const { events, splitter } = run(enc('Hmm, wait. Let me reconsider'));
    expect(joined(events, 'reasoning')).toBe('Hmm, wait. Let me reconsider');
    expect(joined(events, 'answer')).toBe('');
    expect(splitter.thinkingOpen).toBe(true);
  });

  it('never emits a broken character for multi-byte pieces split across tokens', () => {
    const text = 'Emoji 🎉🧪 and 世界, ñandú.';
    const tokens = enc(text);
    // the pieces really are split mid-character: decoding one token alone gives U+FFFD
    expect(tokens.some((t) => tok.decode([t]).includes('\uFFFD'))).toBe(true);
    const splitter = new R1StreamSplitter(decoder, ids);
    splitter.push(ids.endThink);
    const events: StreamEvent[] = [];
    for (const t of tokens) events.push(...splitter.push(t));
    events.push(...splitter.finish());
    for (const e of events) expect(e.text).not.toContain('\uFFFD');
    expect(joined(events, 'answer')).toBe(text);
  });

  it('bytes that never form a character go out as U+FFFD, and each step decodes a bounded window', () => {
    // a token that is a lone byte no other byte completes: a model can emit it for as long as it likes
    const stray = Array.from({ length: 1000 }, (_, i) => i).find((t) => tok.decode([t]) === '\uFFFD' && tok.decode([t, t, t, t, t]) === '\uFFFD'.repeat(5))!;
    expect(stray).toBeDefined();
    let longest = 0;
    const counting = { decode: (t: number[]) => ((longest = Math.max(longest, t.length)), decoder.decode(t)) };
    const tokens = [...enc('Hm '), ...Array<number>(300).fill(stray), ...enc(' ok')];
    const splitter = new R1StreamSplitter(counting, ids);
    let streamed = '';
    for (const t of tokens.slice(0, -2)) streamed += splitter.push(t).map((e) => e.text).join('');
    expect(streamed.length).toBeGreaterThan(250); // out while streaming, not held to the end
    expect(longest).toBeLessThanOrEqual(40);
    for (const t of tokens.slice(-2)) splitter.push(t);
    splitter.finish();
    expect(splitter.reasoning).toBe(tok.decode(tokens, { skip_special_tokens: false }));
  });

  it('streamed text joins to the decode of all the tokens at once', () => {
    const text = 'Plan: 3 × 4 = 12 ✓, then ∑ over 世界 → 🎉. Done.\n\nCheck: ok';
    const tokens = enc(text);
    const splitter = new R1StreamSplitter(decoder, ids);
    const pieces = tokens.flatMap((t) => splitter.push(t)).map((e) => e.text);
    pieces.push(...splitter.finish().map((e) => e.text));
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(tok.decode(tokens, { skip_special_tokens: false }));
  });

  it('holds inner whitespace until text follows and trims only the edges', () => {
    const tokens = [...enc('\nStep 1.\n\nStep 2.\n\n'), ids.endThink, ...enc('\n\nA  \n')];
    const { splitter } = run(tokens);
    expect(splitter.reasoning).toBe('Step 1.\n\nStep 2.');
    expect(splitter.answer).toBe('A');
  });

  it('ignores tokens after eos and a literal "<think>" later in the answer is text', () => {
    const tokens = [ids.endThink, ...enc('x'), ids.think, ...enc('y'), ids.eos[0], ...enc('ignored')];
    const { splitter } = run(tokens);
    expect(splitter.answer).toBe('x<think>y');
    expect(splitter.phase).toBe('done');
  });

  it('streams text token by token (not all at the end)', () => {
    const splitter = new R1StreamSplitter(decoder, ids);
    const counts = enc('one two three four').map((t) => splitter.push(t).length);
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(3);
  });
});
