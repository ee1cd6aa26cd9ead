// Training progress for a terminal: one bar rewritten in place on a TTY (steps, loss, tokens/s, ETA), with
// validation, checkpoint and resume notes on their own lines; one line per step otherwise (logs, CI).
import { bar } from '../convert/cli-progress';
import { formatDuration } from '../convert/progress';
import type { TrainEvent } from './trainer';

export interface StepView {
  step: number;
  totalSteps: number;
  loss: number;
  tokensPerSecond?: number;
  etaMs?: number;
  epoch: number;
}

export function describeStep(v: StepView): string {
  const parts = [`step ${v.step}/${v.totalSteps}`, `loss ${v.loss.toFixed(4)}`];
  if (v.tokensPerSecond !== undefined) parts.push(`${Math.round(v.tokensPerSecond)} tok/s`);
  if (v.etaMs !== undefined && v.step < v.totalSteps) parts.push(`ETA ${formatDuration(v.etaMs)}`);
  parts.push(`epoch ${v.epoch + 1}`);
  return parts.join('  ');
}

export function trainProgressPrinter(stream: NodeJS.WriteStream = process.stdout, now: () => number = Date.now): (event: TrainEvent) => void {
  let startedAt = now();
  let startStep = 0;
  let lastAt = startedAt;
  let barShown = false;
  const line = (text: string) => {
    stream.write(`${barShown && stream.isTTY ? '\n' : ''}${text}\n`);
    barShown = false;
  };
  return (event) => {
    if (event.type === 'resumed') {
      startedAt = lastAt = now();
      startStep = event.step;
      line(`resumed from ${event.dir} (step ${event.step})`);
      return;
    }
    if (event.type === 'validation') return line(`validation loss ${event.loss.toFixed(4)} at step ${event.step}`);
    if (event.type !== 'step') return;
    const t = now();
    const seconds = Math.max(1e-3, (t - lastAt) / 1000);
    lastAt = t;
    const done = event.step - startStep;
    const view: StepView = {
      step: event.step, totalSteps: event.totalSteps, loss: event.loss, epoch: event.epoch, tokensPerSecond: event.tokens / seconds,
      etaMs: done > 0 ? ((t - startedAt) / done) * (event.totalSteps - event.step) : undefined,
    };
    if (!stream.isTTY) return void stream.write(`${describeStep(view)}\n`);
    stream.write(`\r${bar(event.step / Math.max(1, event.totalSteps))} ${describeStep(view)}\x1b[K`);
    barShown = true;
    if (event.step >= event.totalSteps) {
      stream.write('\n');
      barShown = false;
    }
  };
}
