import { useCallback } from 'react';
import type { ChatMessage, GenerationSettings } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import type { ChatSession } from './useChatSession';

export interface MessageActions {
  regenerate(message: ChatMessage, modelId?: string): Promise<boolean>;
  edit(message: ChatMessage, content: string): Promise<boolean>;
  showVersion(messageId: string): Promise<void>;
  remove(messageId: string): Promise<void>;
}

/**
 * Regenerate, edit-and-resend, switch version and delete on one conversation. New versions arrive through the
 * session's `chat.message` events (they replace the branch on screen); a switch or a delete loads the server's view.
 */
export function useMessageActions(session: ChatSession, settings: () => GenerationSettings | undefined, modelId?: string): MessageActions {
  const api = useApi();
  const { replace, reportError, clearSendError } = session;

  const attempt = useCallback(
    async (work: () => Promise<unknown>): Promise<boolean> => {
      clearSendError();
      try {
        await work();
        return true;
      } catch (reason) {
        reportError(errorMessage(reason));
        return false;
      }
    },
    [clearSendError, reportError],
  );

  const regenerate = useCallback(
    (message: ChatMessage, otherModel?: string) =>
      attempt(() => api.call('chats.regenerate', { messageId: message.id, modelId: otherModel ?? modelId, settings: settings() })),
    [api, attempt, modelId, settings],
  );

  const edit = useCallback(
    (message: ChatMessage, content: string) =>
      attempt(() => api.call('chats.edit', { messageId: message.id, content, modelId, settings: settings() })),
    [api, attempt, modelId, settings],
  );

  const showVersion = useCallback(
    async (messageId: string) => {
      await attempt(async () => {
        const view = await api.call('chats.selectVersion', { messageId });
        replace(view.chat.id, view.messages);
      });
    },
    [api, attempt, replace],
  );

  const remove = useCallback(
    async (messageId: string) => {
      await attempt(async () => {
        const view = await api.call('chats.deleteMessage', { messageId });
        replace(view.chat.id, view.messages);
      });
    },
    [api, attempt, replace],
  );

  return { regenerate, edit, showVersion, remove };
}
