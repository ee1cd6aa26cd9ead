import { useEffect, useState } from 'react';
import type { ChatView, SearchHit } from '../../electron/contract/chat';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';

/** Searching waits this long after the last keystroke. */
const DEBOUNCE_MS = 200;

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
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setHits([]);
      setSearching(false);
      return;
    }
    let alive = true;
    setSearching(true);
    const timer = setTimeout(() => {
      api.call('chats.search', { query: text.slice(0, 500) }).then(
        (found) => {
          if (!alive) return;
          setHits(found);
          setError(null);
          setSearching(false);
        },
        (reason: unknown) => {
          if (!alive) return;
          setError(errorMessage(reason));
          setSearching(false);
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [api, query]);

  const reveal = async (hit: SearchHit) => {
    if (!hit.messageId) return undefined;
    try {
      return await api.call('chats.selectVersion', { messageId: hit.messageId });
    } catch (reason) {
      setError(errorMessage(reason));
      return undefined;
    }
  };

  return { query, setQuery, hits, searching, error, reveal };
}
