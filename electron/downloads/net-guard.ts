/**
 * A network guard for one process: every outgoing TCP connection goes through net.Socket#connect (http, https,
 * fetch/undici, WebSocket clients, tls all end there), so patching it catches them all. Loopback (127.0.0.0/8,
 * ::1, localhost) and local sockets stay open: headless mode and the engine's IPC need them. A blocked connection
 * fails at once with a clear error and is counted (and, in tests, appended to a log file shared by processes).
 *
 * Used by Offline mode (the services process and the engine) and by the tests' offline check, which loads it into
 * every process (engine included) with NODE_OPTIONS (see electron/testing/net-guard-preload.ts).
 */
import fs from 'node:fs';
import net from 'node:net';

export interface NetGuardState {
  blocking: boolean;
  attempts: number;
  /** host:port of the latest blocked attempts (at most 20). */
  recent: string[];
}

const state: NetGuardState = { blocking: false, attempts: 0, recent: [] };
let installed = false;
let logFile: string | undefined;

export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return true; // no host: node defaults to localhost
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** Where a connect() call goes: a local socket path, or a host and port. */
function target(args: unknown[]): { path?: string; host?: string; port?: unknown } {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === 'object') {
    const o = first as { path?: string; host?: string; port?: unknown };
    return { path: o.path, host: o.host, port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
}

function install(): void {
  if (installed) return;
  installed = true;
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const where = target(args);
    if (state.blocking && !where.path && !isLoopbackHost(where.host)) {
      const address = `${where.host ?? '?'}:${String(where.port ?? '?')}`;
      record(address);
      const error = Object.assign(new Error(`Distillery is offline: the connection to ${address} was blocked. Turn Offline mode off in Settings to use the network.`), { code: 'ENETUNREACH' });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

function record(address: string): void {
  state.attempts++;
  state.recent = [...state.recent.slice(-19), address];
  if (logFile) {
    try {
      fs.appendFileSync(logFile, `${process.pid} ${address}\n`);
    } catch {
      // the count in memory still holds
    }
  }
}

/** Blocks (or allows again) every non-loopback connection of this process. */
export function setNetworkBlocked(blocking: boolean, options: { logFile?: string } = {}): void {
  install();
  state.blocking = blocking;
  if (options.logFile) logFile = options.logFile;
}

export function netGuardState(): NetGuardState {
  return { ...state, recent: [...state.recent] };
}

/** DISTILLERY_OFFLINE=1 blocks from the start (a process started while Offline mode is on). */
export function applyOfflineEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env.DISTILLERY_OFFLINE === '1' || env.DISTILLERY_NET_GUARD_LOG) setNetworkBlocked(true, { logFile: env.DISTILLERY_NET_GUARD_LOG });
}
