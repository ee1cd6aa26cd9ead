/**
 * Engine handler `train`: a fine-tuning run (LoRA by default, or full) in the engine process, so the app's main
 * process never blocks on a training step. Streams every TrainEvent as a `progress` event; cancel stops after the
 * current step with a checkpoint kept (answered as an EngineError 'cancelled' naming it), so the same request with
 * `resume: true` continues exactly.
 */
import type { TrainJobResult, TrainParams } from '../../contract/engine-train';
import { EngineError, EngineErrorCode } from '../protocol';
import { registerHandler } from '../registry';
import { loadModelConfig } from '../../model/config';
import type { LoraSettings } from '../../train/adapter';
import { runFineTune } from '../../train/job';
import { prepareTrainingData } from '../../train/data';
import { seededSplit, splitValidation } from '../../train/records';
import { RunExtras } from '../../train/run-extras-host';

export type { TrainJobResult, TrainParams };

/** Error code for a run refused for its input (no usable records, bad model folder) or stopped by NaN/inf. */
export const TRAIN_ERROR_CODE = 'train_failed';

registerHandler('train', async (params, ctx) => {
  if (!params.full && !params.lora) throw new EngineError(TRAIN_ERROR_CODE, 'Choose LoRA settings (rank, alpha, targets) or full fine-tuning.');
  checkModelFolder(params.modelFolder);
  const prepared = await prepareTrainingData({ data: params.dataFile, modelFolder: params.modelFolder, outDir: params.outDir, maxLen: params.config.seqLen, signal: ctx.signal })
    .catch((error: Error) => {
      if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Training cancelled.');
      throw new EngineError(TRAIN_ERROR_CODE, error.message);
    });
  const { loaded } = prepared;
  for (const skipped of loaded.skipped) ctx.log('warn', `skipped ${prepared.file}:${skipped.line}: ${skipped.reason}`);
  if (!loaded.records.length) {
    throw new EngineError(TRAIN_ERROR_CODE, `${params.dataFile} has no usable records: each line must be {"question", "reasoning", "answer"} (${loaded.skipped.length} lines skipped).`);
  }
  const { train, validation } = params.splitSeed === undefined
    ? splitValidation(loaded.records, params.valFraction)
    : seededSplit(loaded.records, params.valFraction, params.splitSeed);
  const records = { train: train.length, validation: validation.length, skipped: loaded.skipped.length, truncated: loaded.truncated.count };
  ctx.emit('records', records);
  ctx.emit('progress', { type: 'records', ...records });
  const extras = new RunExtras(params, prepared.tokenizer, validation, (event) => ctx.emit('progress', event), ctx.signal);
  const result = await runFineTune({
    modelFolder: params.modelFolder, outDir: params.outDir, records: train, validation,
    lora: params.lora as LoraSettings | undefined, full: params.full, dtype: params.dtype, resume: params.resume,
    config: params.config, signal: ctx.signal, onEvent: (event) => ctx.emit('progress', extras.timed(event)),
    afterStep: (step, trained, last) => extras.sample(step, trained, last),
    onCompleted: async (run) => {
      extras.evaluation = await extras.evaluate(run);
    },
  }).catch((error: Error) => {
    if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Training cancelled.');
    throw new EngineError(TRAIN_ERROR_CODE, error.message);
  }).finally(() => extras.release());
  const { outcome } = result;
  if (outcome.status === 'diverged') {
    throw new EngineError(TRAIN_ERROR_CODE, `${outcome.message} The last good checkpoint is kept${outcome.checkpoint ? ` in ${outcome.checkpoint}` : ''}.`);
  }
  if (outcome.status === 'cancelled') {
    // A stop is the job runner's cancel or pause: the checkpoint stays, and the same request with resume continues.
    throw new EngineError(EngineErrorCode.cancelled, `Training stopped at step ${outcome.loop.step}; the checkpoint is kept${outcome.checkpoint ? ` in ${outcome.checkpoint}` : ''}.`);
  }
  const answer: TrainJobResult = { status: 'completed', output: result.output, checkpoint: outcome.checkpoint, steps: outcome.loop.step, records };
  if (extras.evaluation) answer.evaluation = extras.evaluation;
  return answer;
});

function checkModelFolder(modelFolder: string): void {
  try {
    loadModelConfig(modelFolder);
  } catch (error) {
    throw new EngineError(TRAIN_ERROR_CODE, (error as Error).message);
  }
}
