/**
 * `distillery train export-graph …` (write a LoRA/full training graph) and `distillery train merge …` (merge a PEFT
 * adapter into its base and convert the result).
 */
import type { Command } from 'commander';
import { CONVERT_DTYPES, ConvertDtype } from '../../contract/convert';
import { TrainDtype, TrainHyperparameters } from '../../contract/train-options';
import { SafetensorsCheckpoint } from '../../model/safetensors';
import { validateWeights } from '../../model/weights';
import { loadModelConfig, type ModelConfig } from '../../model/config';
import { parseTargets } from '../../train/adapter';
import { exportTrainingGraph } from '../../train/export-graph';
import { runFineTune } from '../../train/job';
import { mergeAdapterIntoModel } from '../../train/merge-folder';
import { trainProgressPrinter } from '../../train/cli-progress';
import { prepareTrainingData } from '../../train/data';
import { splitValidation } from '../../train/records';
import { parseFieldMap } from '../../traces';
import { CliError, type CliCommand } from '../command';
import { checkDataPath, choiceOption, numberOption } from '../options';
import { describeReport, importProgressPrinter } from './traces';

const hp = TrainHyperparameters.shape;

interface LoraFlags { rank: number; alpha?: number; targets: string; rslora?: boolean; full?: boolean }

/** --rank, --alpha, --targets, --rslora and --full: what is trained, the same for export-graph and run. */
function addLoraOptions(command: Command, defaults: { rank: number; targets: string }): Command {
  return command
    .option('--rank <r>', 'LoRA rank', numberOption('--rank', hp.rank), defaults.rank)
    .option('--alpha <alpha>', 'LoRA alpha (default 2·rank)', numberOption('--alpha', hp.alpha))
    .option('--targets <list>', 'modules to adapt: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj or all-linear', defaults.targets)
    .option('--rslora', 'scale by alpha/√r instead of alpha/r')
    .option('--full', 'train every weight instead of LoRA adapters (small models)');
}

/** The adapter the flags ask for (undefined with --full); a bad --targets is one line, checked before any work. */
function loraSettings(flags: LoraFlags) {
  let targets;
  try {
    targets = parseTargets(flags.targets);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return flags.full ? undefined : { rank: flags.rank, alpha: flags.alpha ?? 2 * flags.rank, targets, useRslora: !!flags.rslora };
}

interface ExportGraphFlags extends LoraFlags { model: string; out: string; dtype: string }

async function exportGraphAction(flags: ExportGraphFlags): Promise<void> {
  if (flags.full && flags.dtype !== 'fp32') throw new CliError('--full trains every weight: use --dtype fp32');
  const lora = loraSettings(flags);
  const result = await exportTrainingGraph(flags.model, flags.out, { lora, full: !!flags.full, dtype: flags.dtype === 'fp16' ? 'float16' : 'float32', q4Base: flags.dtype === 'q4' })
    .catch((error: Error) => { throw new CliError(error.message); });
  const lines = [
    `Wrote ${result.onnxFile}${result.dataFiles.length ? ` (+ ${result.dataFiles.join(', ')})` : ''}`,
    `Inputs:  input_ids, attention_mask (segment ids), position_ids — int64 [batch, seq]; loss_weights — float32 [batch, seq]`,
    `         + ${result.training.trainables.length} trained tensors (${result.trainableParameters.toLocaleString('en-US')} parameters)`,
    `Outputs: loss, grad:<name> for each trained tensor`,
    lora ? `LoRA:    r=${lora.rank} alpha=${lora.alpha} scaling=${result.training.scaling.toPrecision(4)} targets=${lora.targets.join(',')}` : 'Full fine-tuning: every weight is an input',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface MergeFlags { model: string; adapter: string; out: string; dtype: string }

async function mergeAction(flags: MergeFlags): Promise<void> {
  const result = await mergeAdapterIntoModel(flags.model, flags.adapter, flags.out, { dtype: flags.dtype })
    .catch((error: Error) => { throw new CliError(error.message); });
  process.stdout.write(`Merged ${flags.adapter} into ${flags.model} → ${result.outDir} (${flags.dtype}): ${result.modelFile}\n`);
}

interface RunFlags extends LoraFlags {
  model: string; data: string; out: string;
  epochs: number; maxSteps?: number; lr: number; warmup: number; seq: number; batch: number; accum: number; seed: number;
  valFraction: number; checkpointEvery: number; resume?: boolean; dtype: string; map?: string;
}

function parseMap(spec: string) {
  try {
    return parseFieldMap(spec);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** The --model folder whole: config, and every tensor present with its bytes (a truncated shard is named now). */
function checkModelFolder(folder: string): ModelConfig {
  try {
    const config = loadModelConfig(folder);
    validateWeights(config, SafetensorsCheckpoint.open(folder), folder);
    return config;
  } catch (error) {
    throw new CliError(`--model ${(error as Error).message}`);
  }
}

async function runAction(flags: RunFlags): Promise<void> {
  checkDataPath('--data', flags.data);
  checkModelFolder(flags.model);
  const lora = loraSettings(flags);
  const prepared = await prepareTrainingData({
    data: flags.data, modelFolder: flags.model, outDir: flags.out, maxLen: flags.seq, map: flags.map ? parseMap(flags.map) : undefined,
    onImportProgress: importProgressPrinter(),
  }).catch((error: Error) => {
    throw new CliError(error.message);
  });
  if (prepared.report) {
    process.stdout.write(describeReport(prepared.report));
    process.stdout.write(`Imported ${flags.data} → ${prepared.file}\n`);
  }
  const { loaded } = prepared;
  for (const s of loaded.skipped.slice(0, 20)) process.stderr.write(`skipped ${prepared.file}:${s.line}: ${s.reason}\n`);
  if (loaded.skipped.length > 20) process.stderr.write(`… and ${loaded.skipped.length - 20} more skipped lines\n`);
  if (loaded.truncated.count) process.stderr.write(`${loaded.truncated.count} records are longer than --seq ${flags.seq}: ${loaded.truncated.tokensCut} tokens will be cut\n`);
  if (!loaded.records.length) throw new CliError(`${flags.data} has no usable records: each line must be {"question", "reasoning", "answer"}`);
  const { train, validation } = splitValidation(loaded.records, flags.valFraction);
  process.stdout.write(`${train.length} training records, ${validation.length} validation records\n`);
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('stopping after this step (checkpoint kept; resume with --resume)\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await runFineTune({
      modelFolder: flags.model, outDir: flags.out, records: train, validation,
      lora,
      full: !!flags.full, dtype: flags.dtype === 'fp16' ? 'float16' : flags.dtype === 'q4' ? 'q4' : 'float32', resume: !!flags.resume, signal: abort.signal, onEvent: trainProgressPrinter(),
      config: {
        seed: flags.seed, epochs: flags.epochs, maxSteps: flags.maxSteps, rowsPerBatch: flags.batch, seqLen: flags.seq,
        gradAccumulation: flags.accum, lr: flags.lr, warmupSteps: flags.warmup, minLrRatio: 0.1, maxGradNorm: 1,
        validateEvery: flags.checkpointEvery, checkpointEvery: flags.checkpointEvery,
      },
    });
    const { outcome } = result;
    if (outcome.status === 'diverged') throw new CliError(outcome.message);
    if (outcome.status === 'cancelled') process.stdout.write(`stopped at step ${outcome.loop.step}; checkpoint ${outcome.checkpoint}\n`);
    else process.stdout.write(`done: ${result.output}\n`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const trainCommand: CliCommand = (program: Command) => {
  const train = program.command('train').description('Fine-tuning tools: training graphs, adapter merge');
  const exportGraph = train
    .command('export-graph')
    .description('Write the LoRA training graph of a Hugging Face checkpoint (forward + backward) as ONNX')
    .requiredOption('--model <hf-folder>', 'Hugging Face checkpoint folder (config.json + safetensors)')
    .requiredOption('--out <file.onnx>', 'output .onnx file (weights go to <file>.onnx_data)');
  addLoraOptions(exportGraph, { rank: 8, targets: 'q_proj,v_proj' })
    .option('--dtype <dtype>', 'frozen base weights: fp32, fp16 (mixed precision) or q4 (QLoRA: 4-bit projections)', choiceOption('--dtype', TrainDtype), 'fp32')
    .action(exportGraphAction);
  const run = train
    .command('run')
    .description('Fine-tune on reasoning traces (LoRA by default); writes <out>/adapter')
    .requiredOption('--model <hf-folder>', 'Hugging Face checkpoint folder (config.json + safetensors + its tokenizer)')
    .requiredOption('--data <folder|file>', 'a trace folder or file in any supported format (imported into <out>), or a canonical JSONL of {"question", "reasoning", "answer"}')
    .option('--map <fields>', 'field names of the traces, e.g. question=prompt,reasoning=reason,answer=gen_ans')
    .requiredOption('--out <folder>', 'run folder: checkpoints/ and adapter/ (or model/ with --full)');
  addLoraOptions(run, { rank: 16, targets: 'all-linear' })
    .option('--epochs <n>', 'passes over the data', numberOption('--epochs', hp.epochs), 2)
    .option('--max-steps <n>', 'stop after this many optimizer steps', numberOption('--max-steps', hp.maxSteps))
    .option('--lr <lr>', 'peak learning rate', numberOption('--lr', hp.lr), 2e-4)
    .option('--warmup <steps>', 'warm-up steps', numberOption('--warmup', hp.warmup), 10)
    .option('--seq <tokens>', 'row length; records are packed into rows and longer ones cut', numberOption('--seq', hp.seq), 2048)
    .option('--batch <rows>', 'rows per micro-batch', numberOption('--batch', hp.batch), 1)
    .option('--accum <n>', 'micro-batches per optimizer step', numberOption('--accum', hp.accum), 8)
    .option('--seed <n>', 'data order and adapter init', numberOption('--seed', hp.seed), 0)
    .option('--val-fraction <f>', 'share of records held out for validation loss (0 to 0.5)', numberOption('--val-fraction', hp.valFraction), 0.05)
    .option('--checkpoint-every <steps>', 'checkpoint and validate every N steps', numberOption('--checkpoint-every', hp.checkpointEvery), 50)
    .option('--resume', 'continue from the latest checkpoint in --out')
    .option('--dtype <dtype>', 'frozen base weights: fp32, fp16 (mixed precision) or q4 (QLoRA: 4-bit projections)', choiceOption('--dtype', TrainDtype), 'fp32')
    .action(runAction);
  train
    .command('merge')
    .description('Merge a PEFT LoRA adapter into its base model (W + scaling·B·A) and convert the result')
    .requiredOption('--model <hf-folder>', 'the base model\'s Hugging Face folder')
    .requiredOption('--adapter <folder>', 'PEFT adapter folder (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <folder>', 'output model folder')
    .option('--dtype <dtype>', `output dtype: ${CONVERT_DTYPES.join(', ')}`, choiceOption('--dtype', ConvertDtype), 'fp32')
    .action(mergeAction);
};
