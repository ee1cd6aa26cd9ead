/** `diagnostics`: N steps of M ms with progress events, cancel and resume; proves the request/event/cancel plumbing (Settings › Diagnostics). */
import type { DiagnosticsProgress } from '../../contract/engine';
import { registerHandler } from '../registry';
import { sleep } from '../yield';

registerHandler('diagnostics', async ({ steps, stepMs, fromStep }, ctx) => {
  const started = Date.now();
  for (let step = fromStep + 1; step <= steps; step++) {
    // sleep() waits on a timer, so the event loop (and with it any cancel message) runs between steps.
    await sleep(stepMs, ctx.signal);
    ctx.emit('progress', { step, steps, fraction: step / steps } satisfies DiagnosticsProgress);
  }
  return { steps, elapsedMs: Date.now() - started };
});
