/**
 * The execution providers that really start on this machine, as the engine's `info` says (WebGPU by starting a
 * one-node session on it): the download fit verdicts and the Models screen's re-convert offers depend on it.
 */
import type { ServiceContext } from './context';

/** How long a caller that must answer (the Models list) waits for a busy engine (a model load blocks its thread). */
const WAIT_MS = 1_500;

const probes = new WeakMap<ServiceContext, () => Promise<string[]>>();
/** Per context: the engine's last answer (the machine does not change under a running app) and a request in flight. */
const answers = new WeakMap<ServiceContext, { providers?: string[]; pending?: Promise<string[] | undefined> }>();

/** Where the working providers come from when not from the engine (the CLI's `fit` asks ONNX Runtime in-process; tests). */
export function setProvidersProbe(ctx: ServiceContext, probe: () => Promise<string[]>): void {
  probes.set(ctx, probe);
  answers.delete(ctx);
}

/** The working providers; ['cpu'] when nothing can tell (no ready engine, no answer). */
export async function workingProviders(ctx: ServiceContext): Promise<string[]> {
  return (await askProviders(ctx)) ?? ['cpu'];
}

/**
 * The working providers as last known, asking when unknown; waits at most `waitMs` for the answer. Undefined while
 * nothing is known (an engine not ready yet, or busy past the wait): callers then promise nothing provider-specific.
 */
export async function knownWorkingProviders(ctx: ServiceContext, waitMs = WAIT_MS): Promise<string[] | undefined> {
  const known = answers.get(ctx)?.providers;
  if (known) return known;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
  try {
    return await Promise.race([askProviders(ctx), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last known answer without asking (synchronous readers: a model's row). */
export function lastWorkingProviders(ctx: ServiceContext): string[] | undefined {
  return answers.get(ctx)?.providers;
}

function askProviders(ctx: ServiceContext): Promise<string[] | undefined> {
  const state = answers.get(ctx) ?? {};
  answers.set(ctx, state);
  if (state.providers) return Promise.resolve(state.providers);
  state.pending ??= ask(ctx)
    .then((providers) => {
      if (providers) state.providers = providers;
      return providers;
    })
    .finally(() => (state.pending = undefined));
  return state.pending;
}

async function ask(ctx: ServiceContext): Promise<string[] | undefined> {
  const probe = probes.get(ctx);
  if (probe) return probe().catch(() => undefined);
  if (ctx.engine.status().state !== 'ready') return undefined;
  try {
    const info = await ctx.engine.request('info', {}, { timeoutMs: 10_000 });
    return info.executionProviders.filter((p) => p.available).map((p) => p.name);
  } catch {
    return undefined;
  }
}
