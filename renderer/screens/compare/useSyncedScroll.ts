import { useEffect, type RefObject } from 'react';

/**
 * Keeps the two columns' message lists at the same relative scroll position while `enabled`: scrolling one scrolls
 * the other. A scroll we caused is not echoed back.
 *
 * Scroll events do not bubble, but the container sees them in the capture phase: one listener serves panes mounted
 * after sync was turned on (a first reply, another session opened) as well as the ones already there.
 */
export function useSyncedScroll(container: RefObject<HTMLElement | null>, enabled: boolean, selector = '.message-scroll'): void {
  useEffect(() => {
    const root = container.current;
    if (!enabled || !root) return;
    let echo: Element | null = null;
    const onScroll = (event: Event) => {
      const pane = event.target;
      if (!(pane instanceof HTMLElement) || !pane.matches(selector)) return;
      if (echo === pane) {
        echo = null;
        return;
      }
      const panes = Array.from(root.querySelectorAll<HTMLElement>(selector));
      const other = panes.length === 2 ? panes.find((p) => p !== pane) : undefined;
      if (!other) return;
      const range = pane.scrollHeight - pane.clientHeight;
      const fraction = range > 0 ? pane.scrollTop / range : 0;
      const target = fraction * (other.scrollHeight - other.clientHeight);
      // a sub-pixel move fires no scroll event, so it must not leave an echo to swallow the user's next scroll
      if (Math.abs(other.scrollTop - target) < 1) return;
      echo = other;
      other.scrollTop = target;
    };
    root.addEventListener('scroll', onScroll, { capture: true, passive: true });
    return () => root.removeEventListener('scroll', onScroll, { capture: true });
  }, [container, enabled, selector]);
}
