// How often a streaming reply is saved: each save writes the whole text so far, so saves are paced, and what a crash
// can lose is bounded by the same figure. A fake run streams on a fake clock; the store is real.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Store } from '../store';
import { followReply } from './chat';
import type { ServiceContext } from './context';
import type { GenerationPiece, GenerationRun } from './generation';

const PIECE_EVERY_MS = 40; // the engine's batch interval
/** The promise: a streaming reply is saved about once a second, so a crash loses a second of text at most. */
const SECOND = 1000;

/** A run streaming `count` reasoning pieces, one per engine batch, then stopped (the text so far is the result). */
function fakeRun(count: number): GenerationRun {
  async function* pieces(): AsyncGenerator<GenerationPiece> {
    for (let i = 0; i < count; i++) {
      vi.setSystemTime(Date.now() + PIECE_EVERY_MS);
      yield { type: 'reasoning', text: `w${i} `, tokens: i + 1 };
    }
  }
  return { id: 'run', pieces: pieces(), result: Promise.reject(Object.assign(new Error('stopped'), { code: 'cancelled' })), cancel: () => undefined };
}

describe('followReply saves', () => {
  let store: Store;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    store = openDatabase(':memory:');
  });
  afterEach(() => {
    store.close();
    vi.useRealTimers();
  });

  it('saves a 1,000-piece stream about once a second, never further apart, and keeps every piece at the end', async () => {
    const chat = store.chats.create({ title: 'Long' });
    const reply = store.messages.create({ chatId: chat.id, role: 'assistant', status: 'streaming', reasoning: '' });
    const savedAt: number[] = [];
    const update = store.messages.update.bind(store.messages);
    vi.spyOn(store.messages, 'update').mockImplementation((id, patch) => {
      if (patch.status === undefined) savedAt.push(Date.now());
      return update(id, patch);
    });
    const emit = vi.fn();
    const start = Date.now();
    await followReply({ store, events: { emit } } as unknown as ServiceContext, reply, fakeRun(1000));

    const streamedMs = 1000 * PIECE_EVERY_MS;
    // Saving every 250 ms, as before, would be 160 saves of an ever longer text.
    expect(savedAt.length).toBeLessThanOrEqual(streamedMs / SECOND + 1);
    // A crash loses at most a second (and one batch) of text: saves are never further apart.
    const gaps = [savedAt[0] - start, ...savedAt.slice(1).map((t, i) => t - savedAt[i]), start + streamedMs - savedAt[savedAt.length - 1]];
    expect(Math.max(...gaps)).toBeLessThanOrEqual(SECOND + PIECE_EVERY_MS);
    const saved = store.messages.get(reply.id)!;
    expect(saved.status).toBe('stopped');
    expect(saved.reasoning?.split(' ').filter(Boolean)).toHaveLength(1000);
    expect(emit.mock.calls.filter(([name]) => name === 'chat.delta')).toHaveLength(1000);
  });
});
