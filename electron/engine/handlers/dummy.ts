/** `dummy`: N steps of M ms with progress events and cancel; proves the request/event/cancel plumbing. */
import { z } from 'zod';
import { registerHandler } from '../registry';
import { sleep } from '../yield';

export const DummyParams = z.object({
  steps: z.number().int().min(1).max(100_000),
  stepMs: z.number().int().min(0).max(60_000),
  /** Steps already done before a pause: a resumed job continues after them. */
  fromStep: z.number().int().min(0).max(100_000).default(0),
});
export type DummyParams = z.infer<typeof DummyParams>;

export interface DummyProgress {
  step: number;
  steps: number;
  fraction: number;
}

export interface DummyResult {
  steps: number;
  elapsedMs: number;
}

registerHandler<DummyParams, DummyResult>({
  method: 'dummy',
  params: DummyParams,
  async handle({ steps, stepMs, fromStep }, ctx) {
    const started = Date.now();
    for (let step = fromStep + 1; step <= steps; step++) {
      // sleep() waits on a timer, so the event loop (and with it any cancel message) runs between steps.
      await sleep(stepMs, ctx.signal);
      ctx.emit('progress', { step, steps, fraction: step / steps } satisfies DummyProgress);
    }
    return { steps, elapsedMs: Date.now() - started };
  },
});
