/**
 * One majority-vote run (cons@N): N samples of the reply to one question from one model, each with its own seed,
 * one after the other. Each finished sample is saved at once, so a paused, cancelled or crashed run keeps what it
 * did and a resumed run starts at the first missing sample.
 */
import type { Vote, VoteSample } from '../contract/chat';
import type { GenerationSettings } from '../contract/inference';
import { extractBoxed, normalizeAnswer, tallyVotes } from '../answers/boxed';
import type { Store, VoteRecord, VoteSampleRecord } from '../store';
import type { ServiceContext } from './context';
import { generationFor, statsOf, type GenerationRequestSettings } from './generation';
import type { JobControl } from './jobs-runner';

/** The sampling a vote uses when the chat's settings say nothing: DeepSeek's recommendation. */
export const VOTE_DEFAULTS = { temperature: 0.6, topP: 0.95 } as const;

export function seedOf(vote: VoteRecord, index: number): number {
  const base = typeof vote.settings?.seed === 'number' ? vote.settings.seed : 0;
  return (base + index) % 4_294_967_296;
}

export function toContractVote(store: Store, vote: VoteRecord): Vote {
  const samples = store.votes.samples(vote.id);
  const tally = tallyVotes(samples.map((s) => (s.status === 'error' ? '' : s.content)));
  const indexOf = (position: number) => samples[position].index;
  const done = samples.map((s): VoteSample => {
    const boxed = s.status === 'error' ? undefined : extractBoxed(s.content);
    const sample: VoteSample = { index: s.index, seed: s.seed, status: s.status, reasoning: s.reasoning, content: s.content };
    if (boxed !== undefined) sample.normalized = normalizeAnswer(boxed);
    if (s.error) sample.error = s.error;
    return sample;
  });
  const result: Vote = {
    id: vote.id,
    chatId: vote.chatId,
    modelId: vote.modelId,
    samples: vote.samples,
    createdAt: vote.createdAt,
    done,
    buckets: tally.buckets.map((b) => ({ ...b, samples: b.samples.map(indexOf) })),
    unanswered: tally.unanswered.map(indexOf),
  };
  if (vote.jobId) result.jobId = vote.jobId;
  if (vote.messageId) result.messageId = vote.messageId;
  // the share counts every sample asked for, so a half-done vote does not overstate its majority
  if (tally.majority) result.majority = { ...tally.majority, share: tally.majority.count / vote.samples };
  return result;
}

/** Runs the samples still missing; returns when all are saved, or throws when the signal stops it. */
export async function runVote(ctx: ServiceContext, vote: VoteRecord, control: Pick<JobControl, 'signal' | 'progress'>): Promise<Vote> {
  const settings = { ...VOTE_DEFAULTS, ...(vote.settings as GenerationSettings | undefined) };
  const started = Date.now();
  let ranThisTime = 0;
  for (let index = 0; index < vote.samples; index++) {
    if (ctx.store.votes.samples(vote.id).some((s) => s.index === index)) continue;
    control.signal.throwIfAborted();
    const report = (tokens: number) => {
      const doneCount = ctx.store.votes.samples(vote.id).length;
      const perSample = ranThisTime > 0 ? (Date.now() - started) / ranThisTime : undefined;
      control.progress({
        fraction: doneCount / vote.samples,
        message: `Sample ${index + 1} of ${vote.samples} · ${tokens} tokens`,
        etaSeconds: perSample === undefined ? undefined : ((vote.samples - doneCount) * perSample) / 1000,
      });
    };
    report(0);
    const sample = await runSample(ctx, vote, index, settings, control.signal, report);
    ctx.store.votes.saveSample(vote.id, sample);
    ranThisTime++;
  }
  control.progress({ fraction: 1, message: `${vote.samples} samples` });
  return toContractVote(ctx.store, vote);
}

async function runSample(
  ctx: ServiceContext,
  vote: VoteRecord,
  index: number,
  settings: GenerationRequestSettings,
  signal: AbortSignal,
  report: (tokens: number) => void,
): Promise<VoteSampleRecord> {
  const seed = seedOf(vote, index);
  // Any failure ends the run (the runner tells a pause or cancel from an error); the samples saved so far stay.
  const run = generationFor(ctx).start({ modelId: vote.modelId, messages: vote.prompt, settings: { ...settings, seed }, signal });
  let lastReport = 0;
  for await (const piece of run.pieces) {
    if (piece.type === 'thought' || Date.now() - lastReport < 250) continue;
    lastReport = Date.now();
    report(piece.tokens);
  }
  const result = await run.result;
  // a stopped generation resolves with its partial text: stopped by a pause or cancel, it is not a sample
  signal.throwIfAborted();
  return {
    index,
    seed,
    reasoning: result.reasoning,
    content: result.answer,
    status: result.stats.finishReason === 'stopped' ? 'stopped' : 'complete',
    stats: statsOf(result),
  };
}
