import { useState } from 'react';
import type { ChatView, SearchHit } from '../../electron/contract/chat';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useDebounced } from './useDebounced';
import { useQuery } from './useQuery';

/** Searching waits this long after the last keystroke. */
const DEBOUNCE_MS = 200;
/** The longest search the server takes. */
const MAX_QUERY = 500;
const NONE: SearchHit[] = [];

export interface ChatSearchState {
  query: string;
  setQuery(query: string): void;
  hits: SearchHit[];
  searching: boolean;
  error: string | null;
  /** Puts the matched message on screen: when it is in another version, that version is selected first. */
  reveal(hit: SearchHit): Promise<ChatView | undefined>;
}

/** Full-text search over chat titles and messages (SQLite FTS5 on the server), as the user types. */
export function useChatSearch(): ChatSearchState {
  const api = useApi();
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const text = query.trim().slice(0, MAX_QUERY);
  const settled = useDebounced(text, DEBOUNCE_MS);
  const search = useQuery('chats.search', settled ? { query: settled } : null);
  const hits = text ? (search.data ?? NONE) : NONE;
  const searching = text !== '' && (text !== settled || search.loading);

  const reveal = async (hit: SearchHit) => {
    if (!hit.messageId) return undefined;
    try {
      return await api.call('chats.selectVersion', { messageId: hit.messageId });
    } catch (reason) {
      setError(errorMessage(reason));
      return undefined;
    }
  };

  return { query, setQuery, hits, searching, error: error ?? search.error, reveal };
}
