/**
 * Fine-tuning hyperparameters: one definition for the `train run` command line and the API's training job, so both
 * refuse the same values with the same words. No Node or DOM imports (the renderer may import it).
 */
import { z } from 'zod';

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const positive = (max: number) =>
  z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(max, { error: `must be at most ${max}` });

export const TrainDtype = z.enum(['fp32', 'fp16', 'q4'], { error: 'must be fp32, fp16 or q4' });

export const TrainHyperparameters = z.object({
  rank: wholeNumber(1, 1024),
  alpha: positive(1e6).optional(),
  epochs: wholeNumber(1, 1000),
  maxSteps: wholeNumber(1, 10_000_000).optional(),
  lr: positive(1),
  warmup: wholeNumber(0, 10_000_000),
  seq: wholeNumber(16, 131_072),
  batch: wholeNumber(1, 1024),
  accum: wholeNumber(1, 4096),
  seed: wholeNumber(0, 2 ** 32 - 1),
  /** Share of records held out for validation (every k-th record). */
  valFraction: z.number({ error: 'must be a number' }).min(0, { error: 'must be at least 0' }).max(0.5, { error: 'must be at most 0.5' }),
  checkpointEvery: wholeNumber(1, 10_000_000),
  dtype: TrainDtype,
});
export type TrainHyperparameters = z.infer<typeof TrainHyperparameters>;
