/**
 * CPU time per process tree, read from /proc (Linux): where the CPU went during a benchmark, independent of how loaded
 * the machine is (wall time on a shared machine mostly measures the neighbours). Elsewhere the readings are empty.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

interface ProcStat {
  ppid: number;
  /** User + system CPU time in seconds. */
  cpuSeconds: number;
}

/** clock ticks per second: 100 on every Linux we run on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const TICKS = 100;

function readStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  if (os.platform() !== 'linux') return stats;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after it start after the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS });
    } catch {
      // the process ended while we read
    }
  }
  return stats;
}

function descendantsCpu(stats: Map<number, ProcStat>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let total = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += stats.get(pid)?.cpuSeconds ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * CPU seconds so far of the `serve` process itself (services, SSE, database), of its descendants (the engine: the same
 * work as in the CLI) and of the browser: every other descendant of this process (Playwright starts Chromium, with its
 * renderer, GPU and network processes, as our child).
 */
export function cpuByRole(servePid: number | undefined): Record<'serve' | 'engine' | 'browser', number> {
  const stats = readStats();
  const serve = servePid === undefined ? 0 : (stats.get(servePid)?.cpuSeconds ?? 0);
  const engine = servePid === undefined ? 0 : descendantsCpu(stats, servePid);
  const ours = descendantsCpu(stats, process.pid);
  return { serve, engine, browser: ours - serve - engine };
}

/** Per-key difference after − before. */
export function cpuSpent<K extends string>(before: Record<K, number>, after: Record<K, number>): Record<K, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k as K] - before[k as K]])) as Record<K, number>;
}
