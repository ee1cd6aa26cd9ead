/**
 * votes.* methods: majority vote (cons@N) on a reply. The question the reply answered (with the branch before it, as
 * the model saw it) is sampled N times with different seeds, as one pausable job of kind 'vote'; the samples are
 * saved as they finish, and the histogram of normalised boxed answers is computed when read.
 */
import type { Vote } from '../contract/chat';
import type { GenerationSettings } from '../contract/inference';
import type { ChatRecord, MessageRecord, VoteRecord } from '../store';
import { withInstructions } from './chat-branches';
import { historyFor } from './chat';
import type { ServiceContext, ServiceModule } from './context';
import { ApiError } from './errors';
import { runnerFor, type ServiceJobSpec } from './jobs-runner';
import { runVote, toContractVote } from './vote-run';

function voteJobSpec(ctx: ServiceContext, vote: VoteRecord): ServiceJobSpec<Vote> {
  const modelName = ctx.store.models.get(vote.modelId)?.name ?? 'model';
  return {
    kind: 'vote',
    title: `Majority vote: ${vote.samples} samples from ${modelName}`,
    params: { voteId: vote.id },
    pausable: true,
    run: (control) => runVote(ctx, vote, control),
    onSuccess: (result) => ({
      message: result.majority
        ? `Majority: ${result.majority.answer} (${result.majority.count} of ${result.samples})`
        : `No sample boxed an answer (${result.samples} samples).`,
      result: { voteId: vote.id },
    }),
  };
}

/** The conversation the reply answered, as the model saw it: the branch before the question, then the question. */
function promptFor(ctx: ServiceContext, chat: ChatRecord, question: MessageRecord) {
  const before = ctx.store.messages.path(question.parentId);
  return [...historyFor(before, chat.instructions), { role: 'user' as const, content: withInstructions(question.content, chat.instructions) }];
}

export const votesService: ServiceModule = (ctx) => {
  const runner = runnerFor(ctx);
  runner.define({
    kind: 'vote',
    build: (params) => {
      const vote = typeof params.voteId === 'string' ? ctx.store.votes.get(params.voteId) : undefined;
      if (!vote) throw new ApiError('not_found', 'The vote this job belonged to was deleted (its chat is gone).');
      return voteJobSpec(ctx, vote);
    },
  });

  const voteOrThrow = (voteId: string) => {
    const vote = ctx.store.votes.get(voteId);
    if (!vote) throw new ApiError('not_found', `There is no vote with id ${voteId}.`);
    return vote;
  };

  const start = async (input: { messageId: string; modelId?: string; samples: number; settings?: GenerationSettings }) => {
    const reply = ctx.store.messages.get(input.messageId);
    if (!reply || reply.role !== 'assistant' || !reply.parentId) {
      throw new ApiError('bad_request', 'A vote samples the answer to a question again: start it on a reply.');
    }
    const chat = ctx.store.chats.get(reply.chatId)!;
    const modelId = input.modelId ?? (reply.stats?.modelId as string | undefined) ?? chat.modelId;
    if (!modelId || !ctx.store.models.get(modelId)) throw new ApiError('bad_request', 'Pick a model for the vote first.');
    if (input.settings?.temperature === 0) {
      throw new ApiError('bad_request', 'A vote needs sampling: set a temperature above 0 (DeepSeek recommends 0.6).');
    }
    const seed = input.settings?.seed ?? Math.floor(Math.random() * 1_000_000_000);
    const question = ctx.store.messages.get(reply.parentId)!;
    const vote = ctx.store.votes.create({
      chatId: chat.id,
      messageId: reply.id,
      modelId,
      prompt: promptFor(ctx, chat, question),
      samples: input.samples,
      settings: { ...input.settings, seed },
    });
    const job = runner.start(voteJobSpec(ctx, vote));
    ctx.store.votes.setJob(vote.id, job.id);
    return toContractVote(ctx.store, voteOrThrow(vote.id));
  };

  return {
    handlers: {
      'votes.start': start,
      'votes.get': async ({ voteId }) => toContractVote(ctx.store, voteOrThrow(voteId)),
      'votes.forMessage': async ({ messageId }) => ctx.store.votes.listForMessage(messageId).map((v) => toContractVote(ctx.store, v)),
    },
  };
};
