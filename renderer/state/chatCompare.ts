import { useCallback, useState } from 'react';
import type { GenerationSettings } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useChatSession, type ChatSession } from './chatSession';

export interface CompareSide {
  modelId: string;
  modelName: string;
}

export interface CompareState {
  /** The two conversations: each side is an ordinary chat with its own model (so it also shows up in Chat). */
  left: ChatSession;
  right: ChatSession;
  chatIds: [string | null, string | null];
  streaming: boolean;
  error: string | null;
  send(prompt: string, sides: [CompareSide, CompareSide], settings: GenerationSettings): Promise<boolean>;
  stopBoth(): Promise<void>;
  reset(): void;
}

export function compareTitle(prompt: string, modelName: string): string {
  const short = prompt.trim().replace(/\s+/g, ' ');
  return `⇄ ${short.length > 40 ? `${short.slice(0, 40)}…` : short} — ${modelName}`.slice(0, 200);
}

/** One prompt to two models at once. Follow-up prompts continue both conversations; reset starts a new pair. */
export function useCompare(): CompareState {
  const api = useApi();
  const [chatIds, setChatIds] = useState<[string | null, string | null]>([null, null]);
  const [error, setError] = useState<string | null>(null);
  const left = useChatSession(chatIds[0]);
  const right = useChatSession(chatIds[1]);

  const send = useCallback<CompareState['send']>(
    async (prompt, sides, settings) => {
      setError(null);
      try {
        const ids = [...chatIds] as [string | null, string | null];
        for (const index of [0, 1] as const) {
          if (!ids[index]) {
            const chat = await api.call('chats.create', { modelId: sides[index].modelId, title: compareTitle(prompt, sides[index].modelName) });
            ids[index] = chat.id;
          }
        }
        setChatIds(ids);
        const results = await Promise.all(
          ([left, right] as const).map((session, index) =>
            session.send({ chatId: ids[index]!, content: prompt, modelId: sides[index].modelId, settings }),
          ),
        );
        return results.some(Boolean);
      } catch (reason) {
        setError(errorMessage(reason));
        return false;
      }
    },
    [api, chatIds, left, right],
  );

  const stopBoth = useCallback(async () => {
    await Promise.all([left.stop(), right.stop()]);
  }, [left, right]);

  const reset = useCallback(() => {
    setChatIds([null, null]);
    setError(null);
  }, []);

  return { left, right, chatIds, streaming: left.streaming !== undefined || right.streaming !== undefined, error, send, stopBoth, reset };
}
