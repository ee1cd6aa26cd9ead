/**
 * Pure logic of message versions on screen: a regenerated reply or an edited question replaces the branch after its
 * parent, the ‹ 2/3 › switcher's position, and what "Copy" copies. Unit-tested without a DOM.
 */
import type { ChatMessage } from '../../electron/contract/inference';

/**
 * A new version of a message (a regenerated reply, an edited question) takes the place of the version on screen:
 * that version and what followed it leave the view (they stay stored). The server lists a message's versions in
 * `versionIds`, so this never depends on the order in which messages arrive.
 */
export function replaceBranch(messages: ChatMessage[], incoming: ChatMessage): ChatMessage[] {
  const versions = incoming.versionIds;
  if (!versions || messages.some((m) => m.id === incoming.id)) return messages;
  const at = messages.findIndex((m) => m.id !== incoming.id && versions.includes(m.id));
  return at < 0 ? messages : messages.slice(0, at);
}

export interface VersionPosition {
  /** 1-based position of this version among all versions. */
  index: number;
  count: number;
  previousId?: string;
  nextId?: string;
}

export function versionPosition(message: ChatMessage): VersionPosition | undefined {
  const ids = message.versionIds;
  if (!ids || ids.length < 2) return undefined;
  const at = ids.indexOf(message.id);
  if (at < 0) return undefined;
  return { index: at + 1, count: ids.length, previousId: ids[at - 1], nextId: ids[at + 1] };
}

export type CopyWhat = 'answer' | 'thinking' | 'both';

/** The text "Copy" puts on the clipboard: the answer, the thinking, or both (thinking first, as the model wrote it). */
export function textToCopy(message: ChatMessage, what: CopyWhat): string {
  const thinking = (message.reasoning ?? '').trim();
  const answer = message.content.trim();
  if (message.role === 'user' || what === 'answer') return answer;
  if (what === 'thinking') return thinking;
  return thinking ? `<think>\n${thinking}\n</think>\n\n${answer}` : answer;
}

/** Splits a search snippet into plain and matched parts (the server marks matches with \u0002 … \u0003). */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  const [head, ...marked] = snippet.split('\u0002');
  if (head) parts.push({ text: head, match: false });
  for (const piece of marked) {
    const end = piece.indexOf('\u0003');
    const match = end < 0 ? piece : piece.slice(0, end);
    const rest = end < 0 ? '' : piece.slice(end + 1).split('\u0003').join('');
    if (match) parts.push({ text: match, match: true });
    if (rest) parts.push({ text: rest, match: false });
  }
  return parts;
}
