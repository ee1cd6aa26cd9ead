import { describe, expect, it } from 'vitest';
import { describeStep, trainProgressPrinter } from './cli-progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

describe('training progress in a terminal', () => {
  it('shows steps, loss, tokens/s and an ETA from the pace so far', () => {
    expect(describeStep({ step: 3, totalSteps: 10, loss: 1.23456, tokensPerSecond: 812.4, etaMs: 70_000, epoch: 0 }))
      .toBe('step 3/10  loss 1.2346  812 tok/s  ETA 1m10s  epoch 1');
  });

  it('rewrites one bar in place on a TTY and puts notes on their own lines', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const print = trainProgressPrinter(stream, () => t);
    t = 2000;
    print({ type: 'step', step: 1, totalSteps: 4, loss: 2, lr: 1e-4, gradNorm: 1, tokens: 1000, epoch: 0 });
    t = 3000;
    print({ type: 'step', step: 2, totalSteps: 4, loss: 1.5, lr: 1e-4, gradNorm: 1, tokens: 500, epoch: 0 });
    print({ type: 'validation', step: 2, loss: 1.7 });
    expect(writes[0]).toMatch(/^\r\[######\.+\] step 1\/4 {2}loss 2\.0000 {2}500 tok\/s {2}ETA 6s/);
    expect(writes[1]).toMatch(/^\r\[#{12}\.{12}\] step 2\/4 .*500 tok\/s {2}ETA 3s/);
    expect(writes[2]).toBe('\nvalidation loss 1.7000 at step 2\n');
  });

  it('counts the ETA from a resumed step, not from step 0', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const print = trainProgressPrinter(stream, () => t);
    print({ type: 'resumed', step: 5, dir: '/runs/x/checkpoints/step-000005' });
    t = 1000;
    print({ type: 'step', step: 6, totalSteps: 10, loss: 1, lr: 1e-4, gradNorm: 1, tokens: 100, epoch: 0 });
    expect(writes[1]).toBe('step 6/10  loss 1.0000  100 tok/s  ETA 4s  epoch 1\n');
  });
});
