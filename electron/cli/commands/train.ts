/**
 * `distillery train export-graph …` (write a LoRA/full training graph) and `distillery train merge …` (merge a PEFT
 * adapter into its base and convert the result).
 */
import type { Command } from 'commander';
import { parseTargets } from '../../train/adapter';
import { exportTrainingGraph } from '../../train/export-graph';
import { mergeAdapterIntoModel } from '../../train/merge-folder';
import { CliError, type CliCommand } from '../command';

const positiveInt = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer (got "${value}")`);
  return n;
};
const positiveNumber = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!(n > 0)) throw new CliError(`${flag} must be a positive number (got "${value}")`);
  return n;
};

interface ExportGraphFlags { model: string; out: string; rank: number; alpha?: number; targets: string; rslora?: boolean; full?: boolean; dtype: string }

async function exportGraphAction(flags: ExportGraphFlags): Promise<void> {
  if (flags.dtype !== 'fp32' && flags.dtype !== 'fp16') throw new CliError(`--dtype must be fp32 or fp16 (got "${flags.dtype}")`);
  let targets;
  try {
    targets = parseTargets(flags.targets);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const lora = flags.full ? undefined : { rank: flags.rank, alpha: flags.alpha ?? 2 * flags.rank, targets, useRslora: !!flags.rslora };
  const result = await exportTrainingGraph(flags.model, flags.out, { lora, full: !!flags.full, dtype: flags.dtype === 'fp16' ? 'float16' : 'float32' })
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
  process.stdout.write(`Merged ${flags.adapter} into ${flags.model}: ${result.outFolder} (${flags.dtype})\n`);
}

export const trainCommand: CliCommand = (program: Command) => {
  const train = program.command('train').description('Fine-tuning tools: training graphs, adapter merge');
  train
    .command('export-graph')
    .description('Write the LoRA training graph of a Hugging Face checkpoint (forward + backward) as ONNX')
    .requiredOption('--model <hf-folder>', 'Hugging Face checkpoint folder (config.json + safetensors)')
    .requiredOption('--out <file.onnx>', 'output .onnx file (weights go to <file>.onnx_data)')
    .option('--rank <r>', 'LoRA rank', positiveInt('--rank'), 8)
    .option('--alpha <alpha>', 'LoRA alpha (default 2·rank)', positiveNumber('--alpha'))
    .option('--targets <list>', 'modules to adapt: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj or all-linear', 'q_proj,v_proj')
    .option('--rslora', 'scale by alpha/√r instead of alpha/r')
    .option('--full', 'train every weight instead of LoRA adapters')
    .option('--dtype <dtype>', 'frozen base weights: fp32 or fp16 (mixed precision)', 'fp32')
    .action(exportGraphAction);
  train
    .command('merge')
    .description('Merge a PEFT LoRA adapter into its base model (W + scaling·B·A) and convert the result')
    .requiredOption('--model <hf-folder>', 'the base model\'s Hugging Face folder')
    .requiredOption('--adapter <folder>', 'PEFT adapter folder (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <folder>', 'output model folder')
    .option('--dtype <dtype>', 'output dtype (fp32; fp16/q4 where the converter provides them)', 'fp32')
    .action(mergeAction);
};
