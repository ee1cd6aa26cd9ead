/**
 * Pure logic of a conversation on screen: applying streamed `chat.delta` pieces and `chat.message` updates to the
 * message list, the live numbers shown while a reply streams, and whether a thinking block is open.
 * Components stay thin: everything here is unit-tested without a DOM.
 */
import type { Chat, ChatDelta, ChatMessage, MessageStats } from '../../electron/contract/inference';

export type MessageStatus = ChatMessage['status'];

/** What the UI measures itself while a reply streams (the final stats come from the engine with the last update). */
export interface LiveStats {
  startedAt: number;
  firstTokenAt?: number;
  /** When the first answer piece arrived: the end of the thinking phase. */
  answerStartedAt?: number;
  /**
   * Tokens so far, summed from the deltas' own counts: the engine batches pieces (about one delta per 40 ms, many
   * tokens each), so counting deltas would undercount.
   */
  reasoningTokens: number;
  answerTokens: number;
  /** The thought's length as the engine measured it, sent when `</think>` arrived (the figures the final stats keep). */
  thought?: { ms: number; tokens: number };
}

export interface ConversationState {
  chatId: string | null;
  messages: ChatMessage[];
  live: Record<string, LiveStats>;
}

export const emptyConversation = (chatId: string | null = null): ConversationState => ({ chatId, messages: [], live: {} });

const isFinal = (status: MessageStatus) => status !== 'streaming';

function sortMessages(messages: ChatMessage[]): ChatMessage[] {
  return messages.sort((a, b) => a.createdAt - b.createdAt || roleOrder(a) - roleOrder(b) || a.id.localeCompare(b.id));
}
// A user message and its reply can share a millisecond: the question comes first.
const roleOrder = (m: ChatMessage) => (m.role === 'assistant' ? 1 : 0);

/** A loaded chat replaces the state; replies still streaming get live counters from their saved text. */
export function loadConversation(chatId: string, messages: ChatMessage[], now: number): ConversationState {
  const live: Record<string, LiveStats> = {};
  for (const m of messages) {
    if (m.status === 'streaming') live[m.id] = { startedAt: m.createdAt, reasoningTokens: 0, answerTokens: 0, firstTokenAt: now };
  }
  return { chatId, messages: sortMessages([...messages]), live };
}

/**
 * A `chat.message` update. The saved text of a streaming message lags the deltas we already showed (the server
 * saves in batches), so while streaming we keep the longer local text; a final update is the truth and replaces it.
 */
export function applyMessage(state: ConversationState, incoming: ChatMessage, now: number): ConversationState {
  if (incoming.chatId !== state.chatId) return state;
  const existing = state.messages.find((m) => m.id === incoming.id);
  let next: ChatMessage = incoming;
  if (existing) {
    if (isFinal(existing.status) && !isFinal(incoming.status)) return state; // a late, stale 'streaming' copy
    if (!isFinal(incoming.status)) {
      next = {
        ...incoming,
        content: longer(existing.content, incoming.content),
        reasoning: longer(existing.reasoning ?? '', incoming.reasoning ?? ''),
      };
    }
  }
  const messages = sortMessages([...state.messages.filter((m) => m.id !== incoming.id), next]);
  let live = state.live;
  if (incoming.role === 'assistant' && incoming.status === 'streaming' && !live[incoming.id]) {
    live = { ...live, [incoming.id]: { startedAt: now, reasoningTokens: 0, answerTokens: 0 } };
  }
  return { ...state, messages, live };
}

const longer = (a: string, b: string) => (b.length >= a.length ? b : a);

/** A streamed piece of reasoning or answer. A piece for a message we have not seen yet starts a placeholder. */
export function applyDelta(state: ConversationState, delta: ChatDelta, now: number): ConversationState {
  if (delta.chatId !== state.chatId) return state;
  const existing = state.messages.find((m) => m.id === delta.messageId);
  if (existing && isFinal(existing.status)) return state;
  const base: ChatMessage = existing ?? {
    id: delta.messageId,
    chatId: delta.chatId,
    role: 'assistant',
    content: '',
    reasoning: '',
    status: 'streaming',
    createdAt: now,
    updatedAt: now,
  };
  const updated: ChatMessage =
    delta.type === 'reasoning'
      ? { ...base, reasoning: (base.reasoning ?? '') + delta.text }
      : { ...base, content: base.content + delta.text };
  const previous = state.live[delta.messageId] ?? { startedAt: now, reasoningTokens: 0, answerTokens: 0 };
  const live: LiveStats = {
    ...previous,
    firstTokenAt: previous.firstTokenAt ?? now,
    answerStartedAt: delta.type === 'answer' ? (previous.answerStartedAt ?? now) : previous.answerStartedAt,
    reasoningTokens: previous.reasoningTokens + (delta.type === 'reasoning' ? delta.tokens : 0),
    answerTokens: previous.answerTokens + (delta.type === 'answer' ? delta.tokens : 0),
    thought: delta.thought ?? previous.thought,
  };
  const others = state.messages.filter((m) => m.id !== delta.messageId);
  return { ...state, messages: existing ? state.messages.map((m) => (m.id === delta.messageId ? updated : m)) : sortMessages([...others, updated]), live: { ...state.live, [delta.messageId]: live } };
}

/** The reply still streaming in this conversation, if any (one at a time per chat). */
export function streamingReply(state: ConversationState): ChatMessage | undefined {
  return state.messages.find((m) => m.role === 'assistant' && m.status === 'streaming');
}

/** The user message a reply answered: what Retry sends again. */
export function promptFor(messages: ChatMessage[], replyId: string): string | undefined {
  const index = messages.findIndex((m) => m.id === replyId);
  for (let i = index - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return undefined;
}

/** The thinking phase of a reply: still thinking while it streams, the thought not closed and no answer text yet. */
export function isThinking(message: ChatMessage, live?: LiveStats): boolean {
  return message.status === 'streaming' && message.content.length === 0 && live?.thought === undefined;
}

/** The thought ended with `</think>` (as opposed to still going, or cut off by a stop or the token limit). */
export function thoughtClosed(message: ChatMessage, live?: LiveStats): boolean {
  if (message.stats) return !message.stats.thinkingOpen;
  return live?.thought !== undefined || message.content.length > 0;
}

/**
 * Open while the model thinks, collapsed once the answer starts; a click (`userChoice`) wins from then on.
 * A finished reply with no answer at all (stopped or failed while thinking) stays open: the thought is all there is.
 */
export function thinkingOpen(message: ChatMessage, userChoice: boolean | undefined, live?: LiveStats): boolean {
  if (userChoice !== undefined) return userChoice;
  if (isThinking(message, live)) return true;
  return message.status !== 'streaming' && message.content.trim().length === 0 && (message.reasoning ?? '').length > 0;
}

export interface ThinkingSummary {
  seconds?: number;
  tokens?: number;
  /** True when the figures are the UI's own count (streaming), not the engine's stats. */
  approximate: boolean;
}

/**
 * Elapsed time and token count for the thinking block's header. Time runs from the first generated token (loading the
 * model and reading the prompt are not thinking). Once the thought closed, the engine's own figures (sent with
 * `</think>`, then kept in the final stats) replace the live count, so the header does not change when the reply ends.
 */
export function thinkingSummary(message: ChatMessage, live: LiveStats | undefined, now: number): ThinkingSummary {
  const stats = message.stats;
  if (stats?.thinkingTokens !== undefined) {
    return { seconds: stats.thinkingMs !== undefined ? stats.thinkingMs / 1000 : undefined, tokens: stats.thinkingTokens, approximate: false };
  }
  if (live?.thought) return { seconds: live.thought.ms / 1000, tokens: live.thought.tokens, approximate: false };
  if (!live || live.firstTokenAt === undefined) return { approximate: true };
  const end = live.answerStartedAt ?? (message.status === 'streaming' ? now : message.updatedAt);
  return { seconds: Math.max(0, end - live.firstTokenAt) / 1000, tokens: live.reasoningTokens, approximate: true };
}

/** The thinking block's header: "Thinking · 3.1 s · 120 tokens", "Thought · 5.7 s · 310 tokens", "Thought (unfinished)". */
export function thinkingHeader(message: ChatMessage, live: LiveStats | undefined, now: number): string {
  const summary = thinkingSummary(message, live, now);
  const figures: string[] = [];
  if (summary.seconds !== undefined) figures.push(formatMs(summary.seconds * 1000));
  if (summary.tokens !== undefined) figures.push(`${summary.tokens} token${summary.tokens === 1 ? '' : 's'}`);
  const verb = isThinking(message, live) ? 'Thinking' : thoughtClosed(message, live) ? 'Thought' : 'Thought (unfinished)';
  return figures.length > 0 ? `${verb} · ${figures.join(' · ')}` : verb;
}

/** The per-message stats line: "TTFT 120 ms · thought 310 tok in 4.2 s · answer 52 tok · 18.3 tok/s · cpu · fp32". */
export function statsParts(stats: MessageStats | undefined): string[] {
  if (!stats) return [];
  const parts: string[] = [];
  if (stats.timeToFirstTokenMs !== undefined) parts.push(`TTFT ${formatMs(stats.timeToFirstTokenMs)}`);
  if (stats.thinkingTokens !== undefined) {
    parts.push(`thought ${stats.thinkingTokens} tok${stats.thinkingMs !== undefined ? ` in ${formatMs(stats.thinkingMs)}` : ''}`);
  }
  if (stats.answerTokens !== undefined) parts.push(`answer ${stats.answerTokens} tok`);
  if (stats.decodeTokensPerSecond !== undefined && stats.decodeTokensPerSecond > 0) parts.push(`${stats.decodeTokensPerSecond.toFixed(1)} tok/s`);
  if (stats.provider) parts.push(stats.provider);
  if (stats.dtype) parts.push(stats.dtype);
  return parts;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Why a reply ended early, in words, for its badge; undefined for a normal, complete reply. */
export function statusNote(message: ChatMessage): { label: string; tone: 'muted' | 'warn' | 'error' } | undefined {
  if (message.status === 'stopped') return { label: 'Stopped', tone: 'muted' };
  if (message.status === 'interrupted') return { label: 'Interrupted', tone: 'warn' };
  if (message.status === 'error') return { label: 'Error', tone: 'error' };
  if (message.status === 'complete' && message.stats?.finishReason === 'length') return { label: 'Token limit reached', tone: 'warn' };
  return undefined;
}

// ---------- Chat list ----------

/** Most recently used first. */
export function sortChats(chats: Chat[]): Chat[] {
  return [...chats].sort((a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || a.id.localeCompare(b.id));
}

export function upsertChat(chats: Chat[], chat: Chat): Chat[] {
  return sortChats([...chats.filter((c) => c.id !== chat.id), chat]);
}

/** After deleting the open chat: open the next one in the list (or none). */
export function chatAfterDelete(chats: Chat[], deletedId: string): string | null {
  const index = chats.findIndex((c) => c.id === deletedId);
  const rest = chats.filter((c) => c.id !== deletedId);
  if (rest.length === 0) return null;
  return rest[Math.min(Math.max(index, 0), rest.length - 1)].id;
}
