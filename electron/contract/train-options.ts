/**
 * Fine-tuning hyperparameters: one definition for the `train run` command line and the API's fine-tune job, so both
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

export const TRAIN_DTYPES = ['fp32', 'fp16', 'q4'] as const;
export const TrainDtype = z.enum(TRAIN_DTYPES, { error: 'must be fp32, fp16 or q4' });

/** One rule per hyperparameter: `train run`'s options and the fine-tune job's fields (./finetune.ts) are built from these. */
export const hyperparameter = {
  rank: wholeNumber(1, 512),
  alpha: positive(4096),
  epochs: wholeNumber(1, 100),
  maxSteps: wholeNumber(1, 10_000_000),
  lr: positive(1),
  warmup: wholeNumber(0, 10_000_000),
  /** Tokens per training row (the fine-tune screen calls it the maximum length). */
  seq: wholeNumber(16, 131_072),
  batch: wholeNumber(1, 256),
  accum: wholeNumber(1, 1024),
  seed: wholeNumber(0, 2 ** 32 - 1),
  /** Share of records held out for validation (every k-th record). */
  valFraction: z.number({ error: 'must be a number' }).min(0, { error: 'must be at least 0' }).max(0.5, { error: 'must be at most 0.5' }),
  checkpointEvery: wholeNumber(1, 10_000_000),
};

export const TrainHyperparameters = z.object({
  ...hyperparameter,
  alpha: hyperparameter.alpha.optional(),
  maxSteps: hyperparameter.maxSteps.optional(),
  dtype: TrainDtype,
});
export type TrainHyperparameters = z.infer<typeof TrainHyperparameters>;
