/** `diagnostics`: N steps of M ms with progress events, cancel and resume; proves the request/event/cancel plumbing (Settings › Diagnostics). */
import { z } from 'zod';
import { registerHandler } from '../registry';
import { sleep } from '../yield';

export const DiagnosticsParams = z.object({
  steps: z.number().int().min(1).max(100_000),
  stepMs: z.number().int().min(0).max(60_000),
  /** Steps already done before a pause: a resumed job continues after them. */
  fromStep: z.number().int().min(0).max(100_000).default(0),
});
export type DiagnosticsParams = z.infer<typeof DiagnosticsParams>;

export interface DiagnosticsProgress {
  step: number;
  steps: number;
  fraction: number;
}

export interface DiagnosticsResult {
  steps: number;
  elapsedMs: number;
}

registerHandler<DiagnosticsParams, DiagnosticsResult>({
  method: 'diagnostics',
  params: DiagnosticsParams,
  async handle({ steps, stepMs, fromStep }, ctx) {
    const started = Date.now();
    for (let step = fromStep + 1; step <= steps; step++) {
      // sleep() waits on a timer, so the event loop (and with it any cancel message) runs between steps.
      await sleep(stepMs, ctx.signal);
      ctx.emit('progress', { step, steps, fraction: step / steps } satisfies DiagnosticsProgress);
    }
    return { steps, elapsedMs: Date.now() - started };
  },
});
