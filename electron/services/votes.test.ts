// votes.*: majority vote (cons@N) as a pausable 'vote' job over a real engine process running scripted models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import type { ChatMessage } from '../contract/inference';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { scriptedOnnxModel } from '../testing/model-folders';
import { createServices, type Services } from './index';

// A long thought, so that a pause lands while a sample is being generated.
const SLOW =
  'Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo ' +
  'sierra tango uniform victor whiskey xray yankee zulu apple banana cherry elderberry fig grape honeydew kiwi lemon ' +
  'mango nectarine orange peach quince raspberry strawberry tangerine.\n</think>\n\nSo it is $\\boxed{\\dfrac{8}{2}}$.';

let dataDir: string;
let engine: EngineHost;
let services: Services;
let fast: string;
let slow: string;

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function replyIn(modelId: string): Promise<ChatMessage> {
  const chat = await services.call('chats.create', { modelId });
  const sent = await services.call('chats.send', { chatId: chat.id, content: 'What is 2+2?', settings: { temperature: 0 } });
  return until(() => services.store.messages.get(sent.assistantMessage.id)!, (m) => m.status !== 'streaming') as unknown as ChatMessage;
}

const job = async (jobId: string): Promise<Job> => (await services.call('jobs.list', {})).find((j) => j.id === jobId)!;

beforeAll(async () => {
  const a = await scriptedOnnxModel();
  const b = await scriptedOnnxModel(SLOW);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-votes-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0-test' });
  await engine.start();
  fast = (await services.call('models.add', { path: a, name: 'Four' })).id;
  slow = (await services.call('models.add', { path: b, name: 'Slow four' })).id;
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('votes', () => {
  it('samples the question N times with consecutive seeds and reports the histogram and majority', async () => {
    const reply = await replyIn(fast);
    const started = await services.call('votes.start', { messageId: reply.id, samples: 3, settings: { seed: 41 } });
    expect(started).toMatchObject({ samples: 3, done: [], buckets: [], modelId: fast, jobId: expect.any(String) });
    const finished = await until(() => job(started.jobId!), (j) => j.state === 'succeeded');
    expect(finished).toMatchObject({ kind: 'vote', progress: 1, message: 'Majority: 4 (3 of 3)' });
    const vote = await services.call('votes.get', { voteId: started.id });
    expect(vote.done.map((s) => [s.index, s.seed, s.normalized])).toEqual([[0, 41, '4'], [1, 42, '4'], [2, 43, '4']]);
    expect(vote.buckets).toEqual([{ answer: '4', count: 3, samples: [0, 1, 2] }]);
    expect(vote.majority).toEqual({ answer: '4', count: 3, share: 1 });
    expect(vote.done[0]!.reasoning).toBe('Let me add.');
    expect((await services.call('votes.forMessage', { messageId: reply.id })).map((v) => v.id)).toEqual([started.id]);
  });

  it('pauses between samples keeping the finished ones, and resumes with the remaining seeds', async () => {
    const reply = await replyIn(slow);
    const started = await services.call('votes.start', { messageId: reply.id, samples: 3, settings: { seed: 7 } });
    await until(() => services.store.votes.samples(started.id).length, (n) => n >= 1);
    const paused = await services.call('jobs.pause', { jobId: started.jobId! });
    expect(paused).toMatchObject({ state: 'paused', resumable: true });
    const kept = services.store.votes.samples(started.id).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(3);
    await services.call('jobs.resume', { jobId: started.jobId! });
    await until(() => job(started.jobId!), (j) => j.state === 'succeeded');
    const vote = await services.call('votes.get', { voteId: started.id });
    expect(vote.done.map((s) => s.seed)).toEqual([7, 8, 9]);
    expect(vote.majority).toEqual({ answer: '\\frac{8}{2}', count: 3, share: 1 });
  });

  it('refuses greedy decoding and a question instead of a reply', async () => {
    const reply = await replyIn(fast);
    await expect(services.call('votes.start', { messageId: reply.id, settings: { temperature: 0 } })).rejects.toThrow(/temperature above 0/);
    await expect(services.call('votes.start', { messageId: reply.parentId! })).rejects.toThrow(/start it on a reply/);
  });
});
