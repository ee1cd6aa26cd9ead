/**
 * A chat as a Markdown document (the branch on screen): questions, each reply's thinking as a quote, the answer as the
 * model wrote it, and the reply's figures. Model output goes in verbatim: it is the user's file, opened in their editor.
 */
import type { ChatRecord, MessageRecord } from '../store';

type ModelName = (modelId: string | undefined) => string | undefined;

const quote = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');

function replyHeading(message: MessageRecord, modelName: ModelName): string {
  const stats = message.stats as { modelId?: string; thinkingTokens?: number; thinkingMs?: number; answerTokens?: number } | undefined;
  const who = modelName(stats?.modelId) ?? 'Assistant';
  const note = message.status === 'complete' ? '' : ` (${message.status})`;
  return `## ${who}${note}`;
}

function thoughtLabel(message: MessageRecord): string {
  const stats = message.stats as { thinkingTokens?: number; thinkingMs?: number } | undefined;
  const parts = ['Thinking'];
  if (stats?.thinkingTokens !== undefined) parts.push(`${stats.thinkingTokens} tokens`);
  if (stats?.thinkingMs !== undefined) parts.push(`${(stats.thinkingMs / 1000).toFixed(1)} s`);
  return parts.join(' · ');
}

export function chatToMarkdown(chat: ChatRecord, branch: MessageRecord[], modelName: ModelName, now = new Date()): string {
  const out: string[] = [`# ${chat.title.replace(/\n/g, ' ')}`, '', `*Exported from Distillery on ${now.toISOString().slice(0, 10)}.*`];
  if (chat.instructions) out.push('', `**Instructions (added to each question):** ${chat.instructions}`);
  for (const message of branch) {
    out.push('');
    if (message.role === 'user') {
      out.push('## You', '', message.content.trim());
      continue;
    }
    if (message.role === 'system') {
      out.push('## System', '', message.content.trim());
      continue;
    }
    out.push(replyHeading(message, modelName), '');
    if (message.reasoning?.trim()) out.push(`**${thoughtLabel(message)}**`, '', quote(message.reasoning), '');
    out.push(message.content.trim() || '*(no answer)*');
    if (message.error) out.push('', `*Error: ${message.error}*`);
  }
  return `${out.join('\n')}\n`;
}

/** A file name from a chat title: letters, digits and dashes, never empty, never a path. */
export function exportFileName(title: string, extension: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .toLowerCase();
  return `${slug || 'chat'}.${extension}`;
}
