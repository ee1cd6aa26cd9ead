/**
 * chats.* methods. `chats.send` saves the user message, creates the assistant message as 'streaming' and runs the
 * generation in the engine: text streams out as `chat.delta` events at once and is saved to the database at most every
 * SAVE_EVERY_MS. The end state is always saved: 'complete', 'stopped' (chats.stop; the partial text is kept) or
 * 'error' (engine crash or failure; the partial text is kept too).
 */
import type { Chat, ChatMessage, GenerationSettings, MessageStats } from '../contract/inference';
import type { GenerationResult } from '../generate/generator';
import type { LoadedModelInfo } from '../generate/model-pool';
import type { GenerateTextEvent } from '../engine/handlers/generate';
import type { ChatRecord, MessageRecord } from '../store';
import type { ServiceContext, ServiceModule } from './context';
import { ApiError } from './errors';
import { registryFor } from './models';

export const SAVE_EVERY_MS = 250;
const STOP_WAIT_MS = 10_000;
const TITLE_LENGTH = 60;

interface ActiveReply {
  chatId: string;
  cancel(): void;
  done: Promise<void>;
}

export const toContractMessage = (m: MessageRecord): ChatMessage => {
  const message: ChatMessage = {
    id: m.id, chatId: m.chatId, role: m.role, content: m.content, status: m.status, createdAt: m.createdAt, updatedAt: m.updatedAt,
  };
  if (m.reasoning !== undefined) message.reasoning = m.reasoning;
  if (m.stats) message.stats = m.stats as MessageStats;
  if (m.error !== undefined) message.error = m.error;
  return message;
};

const toContractChat = (c: ChatRecord): Chat => {
  const chat: Chat = { id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt };
  if (c.modelId) chat.modelId = c.modelId;
  return chat;
};

/** A reply that may go back to the model as a finished turn: it ended normally or was stopped, with an answer. */
const isFinishedReply = (m: MessageRecord | undefined): boolean =>
  m !== undefined && m.role === 'assistant' && (m.status === 'complete' || m.status === 'stopped') && m.content.trim().length > 0;

/**
 * The conversation as the model sees it: answers only (the template strips reasoning anyway). A reply that failed,
 * was interrupted or has no answer is left out together with the question it answered: replayed, a broken partial
 * answer would read as a finished turn; kept alone, the question would make two user turns in a row (the template
 * just concatenates them, and a Retry sends the same question again, so it would appear twice). The history thus
 * alternates question/answer, the shape the model was trained on.
 */
export function historyFor(messages: MessageRecord[]): { role: 'system' | 'user' | 'assistant'; content: string }[] {
  return messages
    .filter((m, i) => (m.role === 'system' ? true : m.role === 'user' ? isFinishedReply(messages[i + 1]) : isFinishedReply(m)))
    .map((m) => ({ role: m.role, content: m.content }));
}

export const chatService: ServiceModule = (ctx) => {
  const registry = registryFor(ctx);
  const active = new Map<string, ActiveReply>(); // by assistant message id

  const chatOrThrow = (chatId: string): ChatRecord => {
    const chat = ctx.store.chats.get(chatId);
    if (!chat) throw new ApiError('not_found', `There is no chat with id ${chatId}.`);
    return chat;
  };

  const send = async (input: { chatId: string; content: string; modelId?: string; settings?: GenerationSettings }) => {
    const chat = chatOrThrow(input.chatId);
    const modelId = input.modelId ?? chat.modelId;
    if (!modelId) throw new ApiError('bad_request', 'This chat has no model: pick a model first.');
    const { provider, dtype, ...options } = input.settings ?? {};
    const load = registry.loadParams(modelId, { provider, dtype });
    if ([...active.values()].some((a) => a.chatId === chat.id)) {
      throw new ApiError('busy', 'This chat is still answering: stop it or wait for the reply to finish.');
    }
    const history = historyFor(ctx.store.messages.listByChat(chat.id));
    const userMessage = ctx.store.messages.create({ chatId: chat.id, role: 'user', content: input.content });
    const reply = ctx.store.messages.create({ chatId: chat.id, role: 'assistant', status: 'streaming', reasoning: '' });
    const title = chat.title === '' || chat.title === 'New chat' ? input.content.trim().slice(0, TITLE_LENGTH) : undefined;
    ctx.store.chats.update(chat.id, { title, modelId });
    ctx.events.emit('chat.message', toContractMessage(userMessage));
    ctx.events.emit('chat.message', toContractMessage(reply));
    const messages = [...history, { role: 'user' as const, content: input.content }];
    const call = ctx.engine.stream<GenerationResult & { model: LoadedModelInfo }>('generate.run', { modelId, load, messages, options });
    const done = followReply(ctx, reply, call, (info) => registry.remember(info)).finally(() => active.delete(reply.id));
    active.set(reply.id, { chatId: chat.id, cancel: call.cancel, done });
    return { userMessage: toContractMessage(userMessage), assistantMessage: toContractMessage(reply) };
  };

  const stop = async (messageId: string) => {
    const reply = active.get(messageId);
    if (reply) {
      reply.cancel();
      await Promise.race([reply.done, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    }
    const message = ctx.store.messages.get(messageId);
    if (!message) throw new ApiError('not_found', `There is no message with id ${messageId}.`);
    return toContractMessage(message);
  };

  return {
    handlers: {
      'chats.list': async () => ctx.store.chats.list().map(toContractChat),
      'chats.create': async ({ title, modelId }) => {
        if (modelId) registry.record(modelId);
        return toContractChat(ctx.store.chats.create({ title: title ?? 'New chat', modelId }));
      },
      'chats.get': async ({ chatId }) => ({
        chat: toContractChat(chatOrThrow(chatId)),
        messages: ctx.store.messages.listByChat(chatId).map(toContractMessage),
      }),
      'chats.delete': async ({ chatId }) => {
        for (const [id, reply] of active) if (reply.chatId === chatId) await stop(id);
        return { deleted: ctx.store.chats.remove(chatId) };
      },
      'chats.rename': async ({ chatId, title }) => {
        chatOrThrow(chatId);
        return toContractChat(ctx.store.chats.update(chatId, { title })!);
      },
      'chats.send': send,
      'chats.stop': ({ messageId }) => stop(messageId),
    },
    dispose: async () => {
      for (const reply of active.values()) reply.cancel();
      await Promise.allSettled([...active.values()].map((r) => r.done));
    },
  };
};

async function followReply(
  ctx: ServiceContext,
  reply: MessageRecord,
  call: { events: AsyncIterable<{ event: string; data: unknown }>; result: Promise<GenerationResult & { model: LoadedModelInfo }> },
  onLoaded: (info: LoadedModelInfo) => void,
): Promise<void> {
  let reasoning = '';
  let answer = '';
  let lastSave = Date.now();
  const outcome = call.result.then(
    (result) => ({ ok: true as const, result }),
    (error: Error) => ({ ok: false as const, error }),
  );
  let tokensSent = 0;
  for await (const { event, data } of call.events) {
    if (event === 'thought') {
      const thought = data as { ms: number; tokens: number };
      ctx.events.emit('chat.delta', { chatId: reply.chatId, messageId: reply.id, type: 'reasoning', text: '', tokens: 0, thought });
      continue;
    }
    if (event !== 'text') continue;
    const piece = data as GenerateTextEvent;
    if (piece.type === 'reasoning') reasoning += piece.text;
    else answer += piece.text;
    // the engine counts tokens generated so far; a delta carries the tokens since the previous one
    const tokens = Math.max(0, piece.tokens - tokensSent);
    tokensSent = Math.max(tokensSent, piece.tokens);
    ctx.events.emit('chat.delta', { chatId: reply.chatId, messageId: reply.id, type: piece.type, text: piece.text, tokens });
    if (Date.now() - lastSave >= SAVE_EVERY_MS) {
      ctx.store.messages.update(reply.id, { reasoning, content: answer });
      lastSave = Date.now();
    }
  }
  const end = await outcome;
  let saved: MessageRecord | undefined;
  if (end.ok) {
    const { result } = end;
    onLoaded(result.model);
    const stats: MessageStats = { ...result.stats, modelId: result.model.modelId };
    const status = result.stats.finishReason === 'stopped' ? 'stopped' : 'complete';
    saved = ctx.store.messages.update(reply.id, { reasoning: result.reasoning, content: result.answer, status, stats });
  } else {
    const cancelled = (end.error as { code?: string }).code === 'cancelled';
    saved = ctx.store.messages.update(reply.id, cancelled
      ? { reasoning, content: answer, status: 'stopped' }
      : { reasoning, content: answer, status: 'error', error: end.error.message });
  }
  ctx.store.chats.touch(reply.chatId);
  if (saved) ctx.events.emit('chat.message', toContractMessage(saved));
}
