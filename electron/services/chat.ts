/**
 * chats.* methods. `chats.send` saves the user message, creates the assistant message as 'streaming' and runs the
 * generation in the engine: text streams out as `chat.delta` events at once and is saved to the database at most every
 * SAVE_EVERY_MS. The end state is always saved: 'complete', 'stopped' (chats.stop; the partial text is kept) or
 * 'error' (engine crash or failure; the partial text is kept too).
 */
import type { GenerationSettings } from '../contract/inference';
import type { ChatRecord, MessageRecord } from '../store';
export { toContractMessage } from './chat-branches';
import type { ServiceContext, ServiceModule } from './context';
import { branchOf, chatView, deleteMessage, selectVersion, toContractChat, withInstructions, withVersions } from './chat-branches';
import { chatToMarkdown, exportFileName } from './chat-markdown';
import { ApiError } from './errors';
import { generationFor, statsOf, type ChatTurn, type GenerationRun } from './generation';
import { registryFor } from './models';

/**
 * How often a streaming reply's text is saved: a crash loses at most this much of it (the end state is always saved).
 * Each save writes the whole text so far (about 150 KB for a 30,000-token thought): saving 4 times a second made the
 * cost grow with the square of the thought's length, on the CPU the engine needs.
 */
export const SAVE_EVERY_MS = 1000;
const STOP_WAIT_MS = 10_000;
const TITLE_LENGTH = 60;

interface ActiveReply {
  chatId: string;
  cancel(): void;
  done: Promise<void>;
}

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
export function historyFor(messages: MessageRecord[], instructions?: string): ChatTurn[] {
  return messages
    .filter((m, i) => (m.role === 'system' ? true : m.role === 'user' ? isFinishedReply(messages[i + 1]) : isFinishedReply(m)))
    .map((m) => ({ role: m.role, content: m.role === 'user' ? withInstructions(m.content, instructions) : m.content }));
}

export interface ReplyRequest {
  modelId?: string;
  settings?: GenerationSettings;
}

export const chatService: ServiceModule = (ctx) => {
  const registry = registryFor(ctx);
  const generation = generationFor(ctx);
  const active = new Map<string, ActiveReply>(); // by assistant message id

  const chatOrThrow = (chatId: string): ChatRecord => {
    const chat = ctx.store.chats.get(chatId);
    if (!chat) throw new ApiError('not_found', `There is no chat with id ${chatId}.`);
    return chat;
  };

  const messageOrThrow = (messageId: string): MessageRecord => {
    const message = ctx.store.messages.get(messageId);
    if (!message) throw new ApiError('not_found', `There is no message with id ${messageId}.`);
    return message;
  };

  const assertIdle = (chatId: string) => {
    if ([...active.values()].some((a) => a.chatId === chatId)) {
      throw new ApiError('busy', 'This chat is still answering: stop it or wait for the reply to finish.');
    }
  };

  /** Starts the reply to `question` (saved already, on the chat's branch) and streams it; returns the reply. */
  const startReply = (chat: ChatRecord, question: MessageRecord, request: ReplyRequest, modelId: string) => {
    const branch = ctx.store.messages.path(question.parentId);
    const messages = [...historyFor(branch, chat.instructions), { role: 'user' as const, content: withInstructions(question.content, chat.instructions) }];
    const reply = ctx.store.messages.create({ chatId: chat.id, parentId: question.id, role: 'assistant', status: 'streaming', reasoning: '' });
    ctx.store.chats.setLeaf(chat.id, reply.id);
    const run = generation.start({ modelId, messages, settings: request.settings });
    const done = followReply(ctx, reply, run).finally(() => active.delete(reply.id));
    active.set(reply.id, { chatId: chat.id, cancel: run.cancel, done });
    return reply;
  };

  const modelFor = (chat: ChatRecord, request: ReplyRequest): string => {
    const modelId = request.modelId ?? chat.modelId;
    if (!modelId) throw new ApiError('bad_request', 'This chat has no model: pick a model first.');
    registry.record(modelId); // throws for an unknown model
    return modelId;
  };

  const emitNew = (...messages: MessageRecord[]) => {
    for (const m of messages) ctx.events.emit('chat.message', withVersions(ctx.store, m));
  };

  const send = async (input: { chatId: string; content: string } & ReplyRequest) => {
    const chat = chatOrThrow(input.chatId);
    const modelId = modelFor(chat, input);
    assertIdle(chat.id);
    const userMessage = ctx.store.messages.create({ chatId: chat.id, parentId: chat.leafId, role: 'user', content: input.content });
    const reply = startReply(chat, userMessage, input, modelId);
    const title = chat.title === '' || chat.title === 'New chat' ? input.content.trim().slice(0, TITLE_LENGTH) : undefined;
    ctx.store.chats.update(chat.id, { title, modelId });
    emitNew(userMessage, reply);
    return { userMessage: withVersions(ctx.store, userMessage), assistantMessage: withVersions(ctx.store, reply) };
  };

  /** A new sample of a reply beside the old ones; the model may differ (Compare re-runs a side with another model). */
  const regenerate = async (input: { messageId: string } & ReplyRequest) => {
    const old = messageOrThrow(input.messageId);
    if (old.role !== 'assistant' || !old.parentId) throw new ApiError('bad_request', 'Only a reply can be regenerated.');
    const chat = chatOrThrow(old.chatId);
    const modelId = modelFor(chat, input);
    assertIdle(chat.id);
    const reply = startReply(chat, messageOrThrow(old.parentId), input, modelId);
    if (input.modelId && input.modelId !== chat.modelId) ctx.store.chats.update(chat.id, { modelId });
    emitNew(reply);
    return { assistantMessage: withVersions(ctx.store, reply) };
  };

  /** Edit-and-resend: the edited question is a new version of the old one, and gets its own reply. */
  const edit = async (input: { messageId: string; content: string } & ReplyRequest) => {
    const old = messageOrThrow(input.messageId);
    if (old.role !== 'user') throw new ApiError('bad_request', 'Only your own messages can be edited.');
    const chat = chatOrThrow(old.chatId);
    const modelId = modelFor(chat, input);
    assertIdle(chat.id);
    const userMessage = ctx.store.messages.create({ chatId: chat.id, parentId: old.parentId, role: 'user', content: input.content });
    const reply = startReply(chat, userMessage, input, modelId);
    emitNew(userMessage, reply);
    return { userMessage: withVersions(ctx.store, userMessage), assistantMessage: withVersions(ctx.store, reply) };
  };

  const stop = async (messageId: string) => {
    const reply = active.get(messageId);
    if (reply) {
      reply.cancel();
      await Promise.race([reply.done, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    }
    const message = ctx.store.messages.get(messageId);
    if (!message) throw new ApiError('not_found', `There is no message with id ${messageId}.`);
    return withVersions(ctx.store, message);
  };

  return {
    handlers: {
      'chats.list': async () => ctx.store.chats.list().map(toContractChat),
      'chats.create': async ({ title, modelId }) => {
        if (modelId) registry.record(modelId);
        return toContractChat(ctx.store.chats.create({ title: title ?? 'New chat', modelId }));
      },
      'chats.get': async ({ chatId }) => chatView(ctx.store, chatOrThrow(chatId)),
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
      'chats.regenerate': regenerate,
      'chats.edit': edit,
      'chats.selectVersion': async ({ messageId }) => {
        const message = messageOrThrow(messageId);
        selectVersion(ctx.store, message);
        return chatView(ctx.store, chatOrThrow(message.chatId));
      },
      'chats.deleteMessage': async ({ messageId }) => {
        const message = messageOrThrow(messageId);
        const chat = chatOrThrow(message.chatId);
        for (const [id, reply] of active) if (reply.chatId === chat.id) await stop(id);
        deleteMessage(ctx.store, chat, message);
        return chatView(ctx.store, chatOrThrow(chat.id));
      },
      'chats.search': async ({ query }) => ctx.store.chats.search(query),
      'chats.exportMarkdown': async ({ chatId }) => {
        const chat = chatOrThrow(chatId);
        const modelName = (id?: string) => (id ? ctx.store.models.get(id)?.name : undefined);
        return { fileName: exportFileName(chat.title, 'md'), markdown: chatToMarkdown(chat, branchOf(ctx.store, chat), modelName) };
      },
      'chats.setInstructions': async ({ chatId, instructions }) => {
        chatOrThrow(chatId);
        const text = instructions?.trim() ? instructions.trim() : null;
        return toContractChat(ctx.store.chats.setInstructions(chatId, text)!);
      },
    },
    dispose: async () => {
      for (const reply of active.values()) reply.cancel();
      await Promise.allSettled([...active.values()].map((r) => r.done));
    },
  };
};

/** Streams a reply's pieces out as `chat.delta` events, saves its text every SAVE_EVERY_MS and its end state always. */
export async function followReply(ctx: ServiceContext, reply: MessageRecord, run: GenerationRun): Promise<void> {
  let reasoning = '';
  let answer = '';
  let lastSave = Date.now();
  const outcome = run.result.then(
    (result) => ({ ok: true as const, result }),
    (error: Error) => ({ ok: false as const, error }),
  );
  let tokensSent = 0;
  for await (const piece of run.pieces) {
    if (piece.type === 'thought') {
      const thought = { ms: piece.ms, tokens: piece.tokens };
      ctx.events.emit('chat.delta', { chatId: reply.chatId, messageId: reply.id, type: 'reasoning', text: '', tokens: 0, thought });
      continue;
    }
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
    const status = result.stats.finishReason === 'stopped' ? 'stopped' : 'complete';
    saved = ctx.store.messages.update(reply.id, { reasoning: result.reasoning, content: result.answer, status, stats: statsOf(result) });
  } else {
    const cancelled = (end.error as { code?: string }).code === 'cancelled';
    saved = ctx.store.messages.update(reply.id, cancelled
      ? { reasoning, content: answer, status: 'stopped' }
      : { reasoning, content: answer, status: 'error', error: end.error.message });
  }
  ctx.store.chats.touch(reply.chatId);
  if (saved) ctx.events.emit('chat.message', withVersions(ctx.store, saved));
}
