/**
 * Messages as a tree: a regenerated reply or an edited question is a new version beside the old one (same parent),
 * and the chat remembers the leaf of the branch on screen. These helpers read and move that branch in the store.
 */
import type { Chat, ChatMessage, MessageStats } from '../contract/inference';
import type { ChatRecord, MessageRecord, Store } from '../store';

export const toContractMessage = (m: MessageRecord, versionIds?: string[]): ChatMessage => {
  const message: ChatMessage = {
    id: m.id, chatId: m.chatId, role: m.role, content: m.content, status: m.status, createdAt: m.createdAt, updatedAt: m.updatedAt,
  };
  if (m.parentId !== undefined) message.parentId = m.parentId;
  if (versionIds && versionIds.length > 1) message.versionIds = versionIds;
  if (m.reasoning !== undefined) message.reasoning = m.reasoning;
  if (m.stats) message.stats = m.stats as MessageStats;
  if (m.error !== undefined) message.error = m.error;
  return message;
};

export const toContractChat = (c: ChatRecord): Chat => {
  const chat: Chat = { id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt };
  if (c.modelId) chat.modelId = c.modelId;
  if (c.instructions) chat.instructions = c.instructions;
  return chat;
};

/** A message as the UI shows it: with the ids of all its versions. */
export function withVersions(store: Store, message: MessageRecord): ChatMessage {
  return toContractMessage(message, store.messages.versions(message).map((v) => v.id));
}

/** The branch on screen: from the chat's first message to its leaf. */
export function branchOf(store: Store, chat: ChatRecord): MessageRecord[] {
  return store.messages.path(chat.leafId);
}

export function chatView(store: Store, chat: ChatRecord): { chat: Chat; messages: ChatMessage[] } {
  return { chat: toContractChat(chat), messages: branchOf(store, chat).map((m) => withVersions(store, m)) };
}

/** Puts a version on screen: the chat's leaf becomes the newest message under it. */
export function selectVersion(store: Store, message: MessageRecord): void {
  store.chats.setLeaf(message.chatId, store.messages.newestUnder(message.id) ?? message.id);
}

/**
 * Deletes a message and what follows it. When it was on screen, another version takes its place (the newest one
 * left), else the branch ends at its parent.
 */
export function deleteMessage(store: Store, chat: ChatRecord, message: MessageRecord): void {
  const onScreen = branchOf(store, chat).some((m) => m.id === message.id);
  const others = store.messages.versions(message).filter((v) => v.id !== message.id);
  store.db.transaction(() => {
    store.messages.remove(message.id);
    if (!onScreen) return;
    const next = others.at(-1);
    store.chats.setLeaf(chat.id, next ? (store.messages.newestUnder(next.id) ?? next.id) : (message.parentId ?? null));
  })();
}

/**
 * Instructions go into the user turn (R1 distills are trained without a system prompt): after the question, as
 * DeepSeek's evaluation appends its "Please reason step by step…" line.
 */
export function withInstructions(content: string, instructions: string | undefined): string {
  const extra = instructions?.trim();
  return extra ? `${content}\n\n${extra}` : content;
}
