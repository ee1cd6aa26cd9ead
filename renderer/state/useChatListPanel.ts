import { useCallback, useEffect, useState } from 'react';

/** Below this window width the chat list no longer fits beside the conversation: it becomes a drawer. */
export const NARROW_CHAT_QUERY = '(max-width: 1040px)';

function useMediaQuery(query: string): boolean {
  const read = () => typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches;
  const [matches, setMatches] = useState(read);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setMatches(list.matches);
    onChange();
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, [query]);
  return matches;
}

export interface ChatListPanel {
  /** The window is too narrow for the list beside the conversation: the list opens over it. */
  narrow: boolean;
  open: boolean;
  toggle(): void;
  /** After picking a chat: a drawer closes, a side panel stays. */
  picked(): void;
}

/**
 * Whether the chat list shows. Wide windows show it beside the conversation until the user hides it; narrow ones
 * keep it closed and open it as a drawer on demand. The choice is per width class, so widening the window brings
 * the side panel back.
 */
export function useChatListPanel(): ChatListPanel {
  const narrow = useMediaQuery(NARROW_CHAT_QUERY);
  const [wideOpen, setWideOpen] = useState(true);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const toggle = useCallback(() => (narrow ? setDrawerOpen((o) => !o) : setWideOpen((o) => !o)), [narrow]);
  const picked = useCallback(() => setDrawerOpen(false), []);
  return { narrow, open: narrow ? drawerOpen : wideOpen, toggle, picked };
}
