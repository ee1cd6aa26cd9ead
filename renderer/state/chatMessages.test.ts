import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../electron/contract/inference';
import {
  applyDelta,
  applyMessage,
  chatAfterDelete,
  emptyConversation,
  promptFor,
  statsParts,
  statusNote,
  streamingReply,
  thinkingHeader,
  thinkingOpen,
  thinkingSummary,
  upsertChat,
} from './chatMessages';

const msg = (over: Partial<ChatMessage> & Pick<ChatMessage, 'id'>): ChatMessage => ({
  chatId: 'c1',
  role: 'assistant',
  content: '',
  reasoning: '',
  status: 'streaming',
  createdAt: 100,
  updatedAt: 100,
  ...over,
});

const delta = (messageId: string, type: 'reasoning' | 'answer', text: string, chatId = 'c1', tokens = 1) => ({ chatId, messageId, type, text, tokens });

describe('applyDelta', () => {
  it('appends reasoning then answer pieces and counts them', () => {
    let s = applyMessage(emptyConversation('c1'), msg({ id: 'a' }), 1000);
    s = applyDelta(s, delta('a', 'reasoning', 'Let me '), 1100);
    s = applyDelta(s, delta('a', 'reasoning', 'add.'), 1200);
    s = applyDelta(s, delta('a', 'answer', 'The answer'), 1500);
    s = applyDelta(s, delta('a', 'answer', ' is 4.'), 1600);
    expect(s.messages[0]).toMatchObject({ reasoning: 'Let me add.', content: 'The answer is 4.', status: 'streaming' });
    expect(s.live.a).toEqual({ startedAt: 1000, firstTokenAt: 1100, answerStartedAt: 1500, reasoningTokens: 2, answerTokens: 2 });
  });

  it('adds up the tokens of batched deltas, not the number of deltas', () => {
    let s = applyMessage(emptyConversation('c1'), msg({ id: 'a' }), 1000);
    s = applyDelta(s, delta('a', 'reasoning', 'Let', 'c1', 1), 1100); // the first token goes out alone
    s = applyDelta(s, delta('a', 'reasoning', ' me think about', 'c1', 4), 1140); // then ~40 ms batches
    s = applyDelta(s, delta('a', 'reasoning', ' it.', 'c1', 2), 1180);
    s = applyDelta(s, delta('a', 'answer', 'Four.', 'c1', 3), 1220);
    expect(s.live.a).toMatchObject({ reasoningTokens: 7, answerTokens: 3 });
    expect(thinkingSummary(s.messages[0], s.live.a, 1200).tokens).toBe(7);
  });

  it('ignores pieces of other chats and of finished messages', () => {
    const s = applyMessage(emptyConversation('c1'), msg({ id: 'a', status: 'stopped', reasoning: 'x' }), 1);
    expect(applyDelta(s, delta('a', 'reasoning', 'more'), 2)).toBe(s);
    expect(applyDelta(s, delta('b', 'reasoning', 'other', 'c2'), 2)).toBe(s);
  });

  it('starts a placeholder when a piece arrives before the message itself', () => {
    const s = applyDelta(emptyConversation('c1'), delta('a', 'reasoning', 'Hm'), 50);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]).toMatchObject({ id: 'a', role: 'assistant', status: 'streaming', reasoning: 'Hm' });
    // The real record then arrives with less (saved) text: the streamed text is kept.
    const merged = applyMessage(s, msg({ id: 'a', reasoning: '', createdAt: 40 }), 60);
    expect(merged.messages[0].reasoning).toBe('Hm');
  });
});

describe('applyMessage', () => {
  it('keeps the longer streamed text while streaming, takes the final text when done', () => {
    let s = applyMessage(emptyConversation('c1'), msg({ id: 'a' }), 0);
    s = applyDelta(s, delta('a', 'reasoning', 'abcdef'), 1);
    s = applyMessage(s, msg({ id: 'a', reasoning: 'abc' }), 2);
    expect(s.messages[0].reasoning).toBe('abcdef');
    s = applyMessage(s, msg({ id: 'a', reasoning: 'abcdefg', content: 'four', status: 'complete', stats: { answerTokens: 1 } }), 3);
    expect(s.messages[0]).toMatchObject({ reasoning: 'abcdefg', content: 'four', status: 'complete' });
    expect(streamingReply(s)).toBeUndefined();
  });

  it('never lets a stale streaming copy undo a final state', () => {
    let s = applyMessage(emptyConversation('c1'), msg({ id: 'a', status: 'stopped', reasoning: 'partial' }), 0);
    s = applyMessage(s, msg({ id: 'a', status: 'streaming', reasoning: 'partial and more' }), 1);
    expect(s.messages[0].status).toBe('stopped');
  });

  it('orders messages by time, the question before its reply', () => {
    let s = applyMessage(emptyConversation('c1'), msg({ id: 'r', createdAt: 5 }), 0);
    s = applyMessage(s, msg({ id: 'u', role: 'user', content: 'hi', status: 'complete', createdAt: 5 }), 0);
    s = applyMessage(s, msg({ id: 'old', role: 'user', content: 'first', status: 'complete', createdAt: 1 }), 0);
    expect(s.messages.map((m) => m.id)).toEqual(['old', 'u', 'r']);
    expect(promptFor(s.messages, 'r')).toBe('hi');
  });

  it('ignores messages of another chat', () => {
    const s = emptyConversation('c1');
    expect(applyMessage(s, msg({ id: 'x', chatId: 'c2' }), 0)).toBe(s);
  });
});

describe('thinking block', () => {
  it('is open while thinking, closes when the answer starts, and a click wins', () => {
    const thinking = msg({ id: 'a', reasoning: 'hmm' });
    expect(thinkingOpen(thinking, undefined)).toBe(true);
    const answering = { ...thinking, content: 'The' };
    expect(thinkingOpen(answering, undefined)).toBe(false);
    expect(thinkingOpen(answering, true)).toBe(true);
    expect(thinkingOpen(thinking, false)).toBe(false);
  });

  it('stays open when a reply ended with a thought and no answer', () => {
    expect(thinkingOpen(msg({ id: 'a', reasoning: 'half a thought', status: 'stopped' }), undefined)).toBe(true);
    expect(thinkingOpen(msg({ id: 'a', reasoning: 'done', content: '4', status: 'complete' }), undefined)).toBe(false);
  });

  it('counts time from the first generated token (not from sending: loading the model is not thinking)', () => {
    const live = { startedAt: 1000, firstTokenAt: 4000, reasoningTokens: 12, answerTokens: 0 };
    expect(thinkingSummary(msg({ id: 'a' }), live, 6500)).toEqual({ seconds: 2.5, tokens: 12, approximate: true });
    expect(thinkingSummary(msg({ id: 'a' }), { ...live, answerStartedAt: 5500 }, 9000)).toEqual({ seconds: 1.5, tokens: 12, approximate: true });
    // Before the first token there is no thinking time to show yet.
    expect(thinkingSummary(msg({ id: 'a' }), { ...live, firstTokenAt: undefined }, 6500).seconds).toBeUndefined();
  });

  it('shows the same figures live (from the thought event) and final (from the stats)', () => {
    let s = emptyConversation('c1');
    s = applyMessage(s, msg({ id: 'a' }), 1000);
    s = applyDelta(s, delta('a', 'reasoning', 'Let me', 'c1', 3), 4000);
    s = applyDelta(s, { ...delta('a', 'answer', '', 'c1', 0), thought: { ms: 5712, tokens: 140 } }, 9900);
    s = applyDelta(s, delta('a', 'answer', 'The answer', 'c1', 2), 10_000);
    const live = thinkingHeader(s.messages[0], s.live.a, 12_000);
    expect(live).toBe('Thought · 5.7 s · 140 tokens');
    const final = msg({ id: 'a', content: 'The answer', status: 'complete', stats: { thinkingTokens: 140, thinkingMs: 5712, thinkingOpen: false } });
    s = applyMessage(s, final, 13_000);
    expect(thinkingHeader(s.messages[0], s.live.a, 20_000)).toBe(live);
  });

  it('says "Thought" as soon as the thought closed, while the answer still streams', () => {
    const live = { startedAt: 1000, firstTokenAt: 1100, reasoningTokens: 12, answerTokens: 3, answerStartedAt: 2100 };
    const answering = msg({ id: 'a', reasoning: 'hmm', content: 'The ans' });
    expect(thinkingHeader(answering, live, 5000)).toBe('Thought · 1.0 s · 12 tokens');
    // Closed by the thought event before any answer text: no longer "Thinking", and the panel folds.
    const closing = msg({ id: 'a', reasoning: 'hmm' });
    const closed = { ...live, answerStartedAt: undefined, thought: { ms: 950, tokens: 13 } };
    expect(thinkingHeader(closing, closed, 5000)).toBe('Thought · 950 ms · 13 tokens');
    expect(thinkingOpen(closing, undefined, closed)).toBe(false);
    expect(thinkingHeader(closing, { ...live, answerStartedAt: undefined }, 3100)).toBe('Thinking · 2.0 s · 12 tokens');
  });

  it('says "Thought (unfinished)" only when the reply ended inside its thought', () => {
    const cut = msg({ id: 'a', reasoning: 'hmm', status: 'complete', stats: { thinkingTokens: 9, thinkingMs: 100, thinkingOpen: true } });
    expect(thinkingHeader(cut, undefined, 0)).toBe('Thought (unfinished) · 100 ms · 9 tokens');
    expect(thinkingHeader(msg({ id: 'a', reasoning: 'hmm', status: 'error' }), undefined, 0)).toBe('Thought (unfinished)');
    expect(thinkingHeader(msg({ id: 'a', reasoning: 'hmm', content: 'Four', status: 'stopped' }), undefined, 0)).toBe('Thought');
  });
});

describe('stats and status', () => {
  it('formats the stats line', () => {
    const parts = statsParts({
      timeToFirstTokenMs: 120.4,
      thinkingTokens: 310,
      thinkingMs: 4200,
      answerTokens: 52,
      decodeTokensPerSecond: 18.33,
      provider: 'cpu',
      dtype: 'fp32',
    });
    expect(parts).toEqual(['TTFT 120 ms', 'thought 310 tok in 4.2 s', 'answer 52 tok', '18.3 tok/s', 'cpu', 'fp32']);
    expect(statsParts(undefined)).toEqual([]);
  });

  it('labels replies that ended early', () => {
    expect(statusNote(msg({ id: 'a', status: 'stopped' }))?.label).toBe('Stopped');
    expect(statusNote(msg({ id: 'a', status: 'error' }))?.tone).toBe('error');
    expect(statusNote(msg({ id: 'a', status: 'interrupted' }))?.label).toBe('Interrupted');
    expect(statusNote(msg({ id: 'a', status: 'complete', stats: { finishReason: 'length' } }))?.label).toBe('Token limit reached');
    expect(statusNote(msg({ id: 'a', status: 'complete' }))).toBeUndefined();
  });
});

describe('chat list', () => {
  const chat = (id: string, updatedAt: number) => ({ id, title: id, createdAt: 0, updatedAt });
  it('keeps the most recent first and picks a neighbour after a delete', () => {
    const list = upsertChat(upsertChat([chat('a', 1), chat('b', 3)], chat('c', 2)), chat('a', 5));
    expect(list.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(chatAfterDelete(list, 'b')).toBe('c');
    expect(chatAfterDelete(list, 'c')).toBe('b');
    expect(chatAfterDelete([chat('a', 1)], 'a')).toBeNull();
  });
});
