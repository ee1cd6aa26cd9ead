export { formatBytes } from '../../electron/contract/units';

/** Seconds → "45 s", "3 min 20 s", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatPercent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return `${Math.floor(clamped * 100)}%`;
}

/** A time relative to now, for "since" labels: "just now", "5 min ago". */
export function formatAgo(epochMs: number, now: number): string {
  const seconds = Math.max(0, (now - epochMs) / 1000);
  if (seconds < 10) return 'just now';
  return `${formatDuration(seconds).split(' ').slice(0, 2).join(' ')} ago`;
}
