import { useEffect, type RefObject } from 'react';

/**
 * Keeps the two columns' message lists at the same relative scroll position while `enabled`: scrolling one scrolls
 * the other. A scroll we caused is not echoed back.
 */
export function useSyncedScroll(container: RefObject<HTMLElement | null>, enabled: boolean, selector = '.message-scroll'): void {
  useEffect(() => {
    const root = container.current;
    if (!enabled || !root) return;
    const panes = Array.from(root.querySelectorAll<HTMLElement>(selector));
    if (panes.length !== 2) return;
    let echo: HTMLElement | null = null;
    const handlers = panes.map((pane, index) => {
      const other = panes[1 - index];
      const onScroll = () => {
        if (echo === pane) {
          echo = null;
          return;
        }
        const range = pane.scrollHeight - pane.clientHeight;
        const fraction = range > 0 ? pane.scrollTop / range : 0;
        echo = other;
        other.scrollTop = fraction * (other.scrollHeight - other.clientHeight);
      };
      pane.addEventListener('scroll', onScroll, { passive: true });
      return () => pane.removeEventListener('scroll', onScroll);
    });
    return () => handlers.forEach((off) => off());
  }, [container, enabled, selector]);
}
