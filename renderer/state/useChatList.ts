import { useCallback, useEffect, useMemo, useState } from 'react';
import { isApiMethod, type ApiMethod } from '../../electron/contract/api';
import type { Chat } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { sortChats, upsertChat } from './chatMessages';
import { useQuery } from './useQuery';

/** Renaming needs a `chats.rename` method in the contract; until the back end has one the UI hides the action. */
export const RENAME_METHOD = 'chats.rename';
export const canRenameChats = isApiMethod(RENAME_METHOD);

export interface ChatListState {
  chats: Chat[];
  loaded: boolean;
  error: string | null;
  refresh(): void;
  create(modelId?: string, title?: string): Promise<Chat | undefined>;
  remove(chatId: string): Promise<boolean>;
  rename(chatId: string, title: string): Promise<boolean>;
}

export function useChatList(): ChatListState {
  const api = useApi();
  const list = useQuery('chats.list', {});
  const { setData, refresh } = list;
  const chats = useMemo(() => sortChats(list.data ?? []), [list.data]);
  const setChats = useCallback((update: (chats: Chat[]) => Chat[]) => setData((old) => update(old ?? [])), [setData]);
  const [actionError, setError] = useState<string | null>(null);

  // A first message gives a chat its title, a finished reply moves it to the top: re-read the list then.
  useEffect(
    () =>
      api.on('chat.message', (message) => {
        if (message.role === 'user' || message.status !== 'streaming') refresh();
      }),
    [api, refresh],
  );

  const create = useCallback(
    async (modelId?: string, title?: string) => {
      setError(null);
      try {
        const input: { modelId?: string; title?: string } = {};
        if (modelId) input.modelId = modelId;
        if (title) input.title = title;
        const chat = await api.call('chats.create', input);
        setChats((list) => upsertChat(list, chat));
        return chat;
      } catch (reason) {
        setError(errorMessage(reason));
        return undefined;
      }
    },
    [api, setChats],
  );

  const remove = useCallback(
    async (chatId: string) => {
      setError(null);
      try {
        await api.call('chats.delete', { chatId });
        setChats((list) => list.filter((c) => c.id !== chatId));
        return true;
      } catch (reason) {
        setError(errorMessage(reason));
        return false;
      }
    },
    [api, setChats],
  );

  const rename = useCallback(
    async (chatId: string, title: string) => {
      if (!canRenameChats) return false;
      setError(null);
      try {
        const call = api.call as (method: ApiMethod, input: unknown) => Promise<unknown>;
        await call(RENAME_METHOD as ApiMethod, { chatId, title });
        setChats((list) => list.map((c) => (c.id === chatId ? { ...c, title } : c)));
        return true;
      } catch (reason) {
        setError(errorMessage(reason));
        return false;
      }
    },
    [api, setChats],
  );

  return { chats, loaded: list.data !== null, error: actionError ?? list.error, refresh, create, remove, rename };
}
