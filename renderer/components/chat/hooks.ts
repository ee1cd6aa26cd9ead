import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** How close to the bottom (px) still counts as "at the bottom". */
const STICK_THRESHOLD_PX = 48;

/**
 * Keeps a scroll container pinned to its bottom while content grows, until the user scrolls up; scrolling back
 * down pins it again. A new `resetKey` (another conversation shown in the same container) starts pinned: the
 * "Jump to latest" of the chat left behind must not follow into the next one. While `follow` is false nothing is
 * scrolled (a finished thought opened again starts at its top).
 *
 * Only a move up unpins: text arriving, or blocks laid out at their real height (content-visibility), moves the
 * bottom away without the reader doing anything. A reader's scroll event arrives a frame after the move, so before
 * following new content the position is compared with the last one seen: a move up not reported yet is the reader's,
 * and following would undo it.
 */
export function useAutoScroll(
  ref: RefObject<HTMLElement | null>,
  contentKey: unknown,
  resetKey?: unknown,
  follow = true,
): { pinned: boolean; scrollToBottom(): void } {
  const [pinned, setPinned] = useState(true);
  const pinnedRef = useRef(true);
  const lastTop = useRef(0);
  const followRef = useRef(follow);
  followRef.current = follow;

  const pin = useCallback((value: boolean) => {
    pinnedRef.current = value;
    setPinned(value);
  }, []);
  /** Scrolls to the bottom if still pinned, unless the reader moved up since the last look. */
  const followContent = useCallback((el: HTMLElement) => {
    if (!followRef.current || !pinnedRef.current) return;
    if (el.scrollTop < lastTop.current - 1 && !atBottom(el)) return pin(false);
    el.scrollTop = el.scrollHeight;
    lastTop.current = el.scrollTop;
  }, [pin]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    lastTop.current = el.scrollTop;
    const onScroll = () => {
      const movedUp = el.scrollTop < lastTop.current - 1;
      lastTop.current = el.scrollTop;
      if (atBottom(el)) pin(true);
      else if (movedUp) pin(false);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    // Content that grows after this component's commit (a child's later render, a block laid out late) is followed too.
    const resized = typeof ResizeObserver === 'function' ? new ResizeObserver(() => followContent(el)) : undefined;
    for (const child of Array.from(el.children)) resized?.observe(child);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resized?.disconnect();
    };
  }, [ref, resetKey, pin, followContent]); // a new resetKey may come with a new element (a panel opened)

  useLayoutEffect(() => {
    pin(true);
    lastTop.current = ref.current?.scrollTop ?? 0; // another conversation or a reopened panel: nothing was read yet
  }, [ref, resetKey, pin]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el) followContent(el);
  }, [ref, contentKey, resetKey, follow, followContent]);

  const scrollToBottom = useCallback(() => {
    const el = ref.current;
    pin(true);
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    lastTop.current = el.scrollTop;
  }, [ref, pin]);

  return { pinned, scrollToBottom };
}

const atBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_THRESHOLD_PX;

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
