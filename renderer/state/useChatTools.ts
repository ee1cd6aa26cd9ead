import { useCallback, useState } from 'react';
import type { Chat } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { downloadText } from './download';

export interface ChatTools {
  error: string | null;
  exportMarkdown(chatId: string): Promise<void>;
  exportTraces(chatId: string, title: string): Promise<void>;
  setInstructions(chatId: string, instructions: string | null): Promise<Chat | undefined>;
}

/** Export (Markdown, JSONL traces) and per-chat instructions. */
export function useChatTools(): ChatTools {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);

  const guard = useCallback(async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    setError(null);
    try {
      return await work();
    } catch (reason) {
      setError(errorMessage(reason));
      return undefined;
    }
  }, []);

  const exportMarkdown = useCallback(
    async (chatId: string) => {
      await guard(async () => {
        const { fileName, markdown } = await api.call('chats.exportMarkdown', { chatId });
        downloadText(fileName, markdown, 'text/markdown');
      });
    },
    [api, guard],
  );

  const exportTraces = useCallback(
    async (chatId: string, title: string) => {
      await guard(async () => {
        const { jsonl, traces } = await api.call('chats.exportTraces', { chatIds: [chatId] });
        if (traces === 0) throw new Error('This chat has no finished reply with thinking and an answer to export as a trace.');
        const base = title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'chat';
        downloadText(`${base}.jsonl`, jsonl, 'application/jsonl');
      });
    },
    [api, guard],
  );

  const setInstructions = useCallback(
    (chatId: string, instructions: string | null) => guard(() => api.call('chats.setInstructions', { chatId, instructions })),
    [api, guard],
  );

  return { error, exportMarkdown, exportTraces, setInstructions };
}
