/**
 * The sampling and loading options of `run` and `chat`, parsed by the API's own schemas (GenerationSettings, the
 * provider choice, the threads setting), so a value the app would refuse is refused on the command line too.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { GenerationSettings, ProviderChoice } from '../contract/inference';
import { InferenceSettings } from '../contract/settings';
import { choiceOption, numberOption } from './options';

const settings = GenerationSettings.shape;

/** The threads setting's range, less its 0 (= automatic), which on a command line is leaving the option out. */
const Threads = InferenceSettings.shape.threads.min(1, { error: 'must be at least 1 (leave it out for one thread per physical core)' });

export interface RunCliOptions {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  thinkingBudget?: number;
  provider?: z.infer<typeof ProviderChoice>;
  dtype?: string;
  threads?: number;
  json?: boolean;
}

/** The options as GenerationSettings fields (absent ones left out). */
export function generationOptions(o: RunCliOptions) {
  return { maxNewTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, seed: o.seed, thinkingBudget: o.thinkingBudget };
}

export function addGenerationOptions(command: Command): Command {
  return command
    .option('--max-tokens <n>', 'most tokens to generate (thinking + answer; up to 32768)', numberOption('--max-tokens', settings.maxNewTokens))
    .option('--temperature <t>', 'sampling temperature (R1 default 0.6; 0 = greedy)', numberOption('--temperature', settings.temperature))
    .option('--top-p <p>', 'nucleus sampling mass (R1 default 0.95)', numberOption('--top-p', settings.topP))
    .option('--seed <s>', 'seed: the same seed gives the same text', numberOption('--seed', settings.seed))
    .option('--thinking-budget <n>', 'after n thinking tokens, close the thought and answer', numberOption('--thinking-budget', settings.thinkingBudget))
    .option('--provider <name>', `execution provider: ${ProviderChoice.options.join(', ')}`, choiceOption('--provider', ProviderChoice))
    .option('--dtype <dtype>', 'weights variant: fp32, fp16, q4, q4f16, ...');
}

/** `--threads <n>` for the commands that load models (run, serve). */
export function addThreadsOption(command: Command, description: string): Command {
  return command.option('--threads <n>', description, numberOption('--threads', Threads));
}
