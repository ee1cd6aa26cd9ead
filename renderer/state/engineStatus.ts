import type { EngineStatus } from '../../electron/contract/api';
import type { ConnectionState } from '../api/transport';

export type Tone = 'ok' | 'busy' | 'error' | 'idle';

export interface StatusView {
  tone: Tone;
  label: string;
  detail?: string;
  canRestart: boolean;
}

/**
 * What the status indicator shows for a link state and an engine state. The link comes first: no link, no engine.
 * `afterCrash`: a crash was seen, so a restart is the engine coming back rather than one the user asked for.
 */
export function describeStatus(connection: ConnectionState, status: EngineStatus | null, afterCrash = false): StatusView {
  if (connection === 'unauthorized') {
    return { tone: 'error', label: 'Access token refused', detail: 'Open the URL that `npm run serve` printed.', canRestart: false };
  }
  if (connection === 'disconnected') {
    return { tone: 'error', label: 'Disconnected', detail: 'Cannot reach the Distillery server; retrying…', canRestart: false };
  }
  if (!status) return { tone: 'busy', label: 'Connecting…', canRestart: false };
  switch (status.state) {
    case 'ready':
      return { tone: 'ok', label: 'Engine ready', detail: status.pid ? `pid ${status.pid}` : undefined, canRestart: true };
    case 'starting':
      return { tone: 'busy', label: 'Engine starting…', canRestart: false };
    case 'restarting':
      return {
        tone: 'busy',
        label: afterCrash ? 'Engine crashed — restarting…' : 'Engine restarting…',
        detail: afterCrash ? status.lastError : undefined,
        canRestart: false,
      };
    case 'crashed':
      return { tone: 'error', label: 'Engine crashed', detail: status.lastError, canRestart: true };
    case 'stopped':
      return { tone: 'idle', label: 'Engine stopped', detail: status.lastError, canRestart: true };
  }
}

/**
 * Did the engine crash between two statuses? Seeing `crashed` says so; so does a higher restart count (the host counts
 * only automatic restarts), which is all we see when the engine came back quicker than our events or polling.
 */
export function detectCrash(previous: EngineStatus | null, next: EngineStatus): boolean {
  if (next.state === 'crashed') return previous?.state !== 'crashed';
  return previous !== null && next.restarts > previous.restarts;
}
