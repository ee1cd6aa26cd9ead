/**
 * compare.* methods: saved Compare sessions (two ordinary chats, one per side, and an optional expected answer) and
 * the verdict once both sides have finished: both final boxed answers normalised by the one checker
 * (electron/answers/boxed.ts), whether they agree, ✓/✗ against the expected answer, and the figures side by side.
 */
import { answersAgree, checkAnswer } from '../answers/boxed';
import type { CompareSession, CompareVerdict, ReplyFigures } from '../contract/chat';
import type { MessageStats } from '../contract/inference';
import type { CompareSessionRecord, MessageRecord, Store } from '../store';
import type { ServiceModule } from './context';
import { ApiError } from './errors';

const toContractSession = (s: CompareSessionRecord): CompareSession => ({ ...s });

/** The reply at the end of a chat's branch on screen, if the branch ends in one. */
function lastReply(store: Store, chatId: string | undefined): MessageRecord | undefined {
  const chat = chatId ? store.chats.get(chatId) : undefined;
  const last = chat ? store.messages.path(chat.leafId).at(-1) : undefined;
  return last?.role === 'assistant' ? last : undefined;
}

export function replyFigures(reply: MessageRecord, expectedAnswer: string | undefined): ReplyFigures {
  const stats = (reply.stats ?? {}) as MessageStats;
  const check = checkAnswer(reply.content, expectedAnswer);
  const figures: ReplyFigures = { messageId: reply.id, status: reply.status };
  const set = <K extends keyof ReplyFigures>(key: K, value: ReplyFigures[K] | undefined) => {
    if (value !== undefined) figures[key] = value;
  };
  set('modelId', stats.modelId);
  set('boxed', check.boxed);
  set('normalized', check.normalized);
  set('correct', check.correct);
  set('timeToFirstTokenMs', stats.timeToFirstTokenMs);
  set('thinkingTokens', stats.thinkingTokens);
  set('thinkingMs', stats.thinkingMs);
  set('answerTokens', stats.answerTokens);
  set('tokensPerSecond', stats.decodeTokensPerSecond);
  if (stats.thinkingTokens !== undefined && stats.answerTokens) set('thinkingRatio', stats.thinkingTokens / stats.answerTokens);
  return figures;
}

export function compareVerdict(store: Store, input: { leftChatId?: string; rightChatId?: string; expectedAnswer?: string }): CompareVerdict {
  const expected = input.expectedAnswer?.trim() || undefined;
  const left = lastReply(store, input.leftChatId);
  const right = lastReply(store, input.rightChatId);
  const finished = (m: MessageRecord | undefined) => m !== undefined && m.status !== 'streaming';
  const verdict: CompareVerdict = { ready: finished(left) && finished(right) };
  if (expected) verdict.expectedAnswer = expected;
  if (finished(left)) verdict.left = replyFigures(left!, expected);
  if (finished(right)) verdict.right = replyFigures(right!, expected);
  if (verdict.ready) verdict.agree = answersAgree(verdict.left?.boxed, verdict.right?.boxed);
  return verdict;
}

export const compareService: ServiceModule = (ctx) => {
  const checkChat = (chatId: string | null | undefined) => {
    if (chatId && !ctx.store.chats.get(chatId)) throw new ApiError('not_found', `There is no chat with id ${chatId}.`);
  };
  return {
    handlers: {
      'compare.list': async () => ctx.store.compare.list().map(toContractSession),
      'compare.save': async ({ sessionId, title, leftChatId, rightChatId, expectedAnswer }) => {
        checkChat(leftChatId);
        checkChat(rightChatId);
        const expected = expectedAnswer === undefined ? undefined : expectedAnswer?.trim() || null;
        if (!sessionId) {
          const created = ctx.store.compare.create({
            title: title ?? 'Comparison',
            leftChatId: leftChatId ?? undefined,
            rightChatId: rightChatId ?? undefined,
            expectedAnswer: expected ?? undefined,
          });
          return toContractSession(created);
        }
        const updated = ctx.store.compare.update(sessionId, { title, leftChatId, rightChatId, expectedAnswer: expected });
        if (!updated) throw new ApiError('not_found', `There is no saved comparison with id ${sessionId}.`);
        return toContractSession(updated);
      },
      'compare.delete': async ({ sessionId }) => ({ deleted: ctx.store.compare.remove(sessionId) }),
      'compare.verdict': async (input) => compareVerdict(ctx.store, input),
    },
  };
};
