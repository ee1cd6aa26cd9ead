import { describe, expect, it } from 'vitest';
import type { ServiceContext } from './context';
import { knownWorkingProviders, lastWorkingProviders, setProvidersProbe, workingProviders } from './working-providers';

type Listing = { name: string; available: boolean }[];

/** A context whose engine is `state` and answers `info` with `listing` (or never, when it is busy loading a model). */
function contextWith(state: 'ready' | 'starting', listing: Listing | 'busy') {
  const asked: string[] = [];
  const engine = {
    status: () => ({ state, restarts: 0, since: 0 }),
    request: (method: string) => {
      asked.push(method);
      return listing === 'busy' ? new Promise(() => undefined) : Promise.resolve({ executionProviders: listing });
    },
  };
  return { ctx: { engine } as unknown as ServiceContext, asked };
}

const NO_WEBGPU: Listing = [
  { name: 'cpu', available: true },
  { name: 'webgpu', available: false },
];

describe('working providers', () => {
  it('are the ones the engine says start, asked once and then remembered', async () => {
    const { ctx, asked } = contextWith('ready', NO_WEBGPU);
    expect(lastWorkingProviders(ctx)).toBeUndefined();
    expect(await knownWorkingProviders(ctx)).toEqual(['cpu']);
    expect(await workingProviders(ctx)).toEqual(['cpu']);
    expect(lastWorkingProviders(ctx)).toEqual(['cpu']);
    expect(asked).toEqual(['info']);
  });

  it('are unknown while the engine is not ready, and asked again once it is', async () => {
    const starting = contextWith('starting', NO_WEBGPU);
    expect(await knownWorkingProviders(starting.ctx)).toBeUndefined();
    expect(await workingProviders(starting.ctx)).toEqual(['cpu']); // the download fit's safe answer
    expect(starting.asked).toEqual([]);
    expect(lastWorkingProviders(starting.ctx)).toBeUndefined();
  });

  it('do not hold a caller up past its wait when the engine is busy (a model loading)', async () => {
    const { ctx, asked } = contextWith('ready', 'busy');
    const start = Date.now();
    expect(await knownWorkingProviders(ctx, 50)).toBeUndefined();
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(await knownWorkingProviders(ctx, 10)).toBeUndefined();
    expect(asked).toEqual(['info']); // the request in flight is shared, not repeated
  });

  it('come from a probe where one is set (the CLI asks ONNX Runtime in-process), and a failing probe knows nothing', async () => {
    const { ctx, asked } = contextWith('ready', NO_WEBGPU);
    setProvidersProbe(ctx, async () => ['cpu', 'webgpu']);
    expect(await knownWorkingProviders(ctx)).toEqual(['cpu', 'webgpu']);
    setProvidersProbe(ctx, async () => {
      throw new Error('no ONNX Runtime');
    });
    expect(await knownWorkingProviders(ctx)).toBeUndefined();
    expect(await workingProviders(ctx)).toEqual(['cpu']);
    expect(asked).toEqual([]);
  });
});
