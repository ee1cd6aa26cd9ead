import { useEffect, useState } from 'react';

/**
 * The current time, re-read every `intervalMs` while `active`: an ETA counting down between progress events (1 s), a
 * thinking timer (250 ms). Inactive, it is the time of the render.
 */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return active ? now : Date.now();
}
