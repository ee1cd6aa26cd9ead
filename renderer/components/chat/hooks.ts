import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** How close to the bottom (px) still counts as "at the bottom". */
const STICK_THRESHOLD_PX = 48;

/**
 * Keeps a scroll container pinned to its bottom while content grows, until the user scrolls up; scrolling back
 * down pins it again. A new `resetKey` (another conversation shown in the same container) starts pinned: the
 * "Jump to latest" of the chat left behind must not follow into the next one. While `follow` is false nothing is
 * scrolled (a finished thought opened again starts at its top).
 */
export function useAutoScroll(
  ref: RefObject<HTMLElement | null>,
  contentKey: unknown,
  resetKey?: unknown,
  follow = true,
): { pinned: boolean; scrollToBottom(): void } {
  const [pinned, setPinned] = useState(true);
  const pinnedRef = useRef(true);
  const followRef = useRef(follow);
  followRef.current = follow;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let lastTop = el.scrollTop;
    const onScroll = () => {
      const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_THRESHOLD_PX;
      // Text arriving, or blocks laid out at their real height (content-visibility), moves the bottom away without
      // the reader doing anything: only a scroll up unpins.
      const movedUp = el.scrollTop < lastTop - 1;
      lastTop = el.scrollTop;
      if (!atBottom && !movedUp) return;
      pinnedRef.current = atBottom;
      setPinned(atBottom);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    // Content that grows after this component's commit (a child's later render, a block laid out late) is followed too.
    const resized = typeof ResizeObserver === 'function'
      ? new ResizeObserver(() => {
        if (followRef.current && pinnedRef.current) el.scrollTop = el.scrollHeight;
      })
      : undefined;
    for (const child of Array.from(el.children)) resized?.observe(child);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resized?.disconnect();
    };
  }, [ref, resetKey]); // a new resetKey may come with a new element (a panel opened)

  useLayoutEffect(() => {
    pinnedRef.current = true;
    setPinned(true);
  }, [resetKey]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow && pinnedRef.current) el.scrollTop = el.scrollHeight;
  }, [ref, contentKey, resetKey, follow]);

  const scrollToBottom = useCallback(() => {
    const el = ref.current;
    pinnedRef.current = true;
    setPinned(true);
    if (el) el.scrollTop = el.scrollHeight;
  }, [ref]);

  return { pinned, scrollToBottom };
}

/** Open/closed choices for thinking blocks, per message id, kept for the whole session (switching chats keeps them). */
const thinkingChoices = new Map<string, boolean>();

export function useThinkingChoice(messageId: string): [boolean | undefined, (open: boolean) => void] {
  const [choice, setChoice] = useState<boolean | undefined>(() => thinkingChoices.get(messageId));
  const set = useCallback(
    (open: boolean) => {
      thinkingChoices.set(messageId, open);
      setChoice(open);
    },
    [messageId],
  );
  return [choice, set];
}

/** Closes a popover on Escape or a click outside it. */
export function useDismiss(ref: RefObject<HTMLElement | null>, open: boolean, close: () => void): void {
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        close();
      }
    };
    const onPointer = (event: PointerEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) close();
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('pointerdown', onPointer, true);
    };
  }, [ref, open, close]);
}
