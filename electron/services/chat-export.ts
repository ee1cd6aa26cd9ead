/**
 * Chats → canonical traces, the distillation loop of the R1 paper done locally: a big model's finished replies (with
 * their reasoning) become training data for a small one. Each finished assistant reply with reasoning and an answer
 * is one trace; the chat before its question goes in `turns`, answers only, as the template renders it. Shared by
 * `chats.exportTraces` and `distillery chats export`.
 */
import type { CanonicalTrace, ExportTracesOutput } from '../contract/traces';
import type { MessageRecord, Store } from '../store';
import type { ServiceModule } from './context';
import { historyFor } from './chat';
import { ApiError } from './errors';

export interface ChatTraces {
  traces: CanonicalTrace[];
  /** Replies left out, by reason. */
  skipped: Record<string, number>;
}

/** The traces of one chat's messages (in order). `file` names the chat in `source`. */
export function chatTraces(messages: MessageRecord[], file: string): ChatTraces {
  const out: ChatTraces = { traces: [], skipped: {} };
  const skip = (reason: string) => (out.skipped[reason] = (out.skipped[reason] ?? 0) + 1);
  messages.forEach((reply, index) => {
    if (reply.role !== 'assistant') return;
    const question = messages[index - 1];
    if (reply.status !== 'complete') return skip(`reply not finished (${reply.status})`);
    if (!reply.reasoning?.trim()) return skip('reply without reasoning');
    if (!reply.content.trim()) return skip('reply without an answer');
    if (question?.role !== 'user' || !question.content.trim()) return skip('reply without a question before it');
    const trace: CanonicalTrace = {
      question: question.content.trim(), reasoning: reply.reasoning.trim(), answer: reply.content.trim(), source: { file, row: index },
    };
    const turns = historyFor(messages.slice(0, index - 1));
    if (turns.length) trace.turns = turns;
    out.traces.push(trace);
  });
  return out;
}

/** The chosen chats (all when none are named) as canonical JSONL text. Unknown ids are refused, naming them. */
export function exportChatTraces(store: Store, chatIds?: string[]): ExportTracesOutput {
  const ids = chatIds?.length ? chatIds : store.chats.list().map((c) => c.id);
  const missing = ids.filter((id) => !store.chats.get(id));
  if (missing.length) throw new ApiError('not_found', `No chat with id ${missing.join(', ')}: list them with chats.list (or \`distillery chats list\`).`);
  let jsonl = '';
  let traces = 0;
  let skipped = 0;
  for (const id of ids) {
    const result = chatTraces(store.messages.listByChat(id), `chat:${id}`);
    for (const trace of result.traces) jsonl += `${JSON.stringify(trace)}\n`;
    traces += result.traces.length;
    skipped += Object.values(result.skipped).reduce((a, b) => a + b, 0);
  }
  return { jsonl, chats: ids.length, traces, skipped };
}

export const chatExportService: ServiceModule = (ctx) => ({
  handlers: {
    'chats.exportTraces': async ({ chatIds }) => exportChatTraces(ctx.store, chatIds),
  },
});
