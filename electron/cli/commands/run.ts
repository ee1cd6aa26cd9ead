/**
 * `distillery run <model> "<prompt>"`: one reply, thinking streamed dimmed (on a terminal) then the answer.
 * `--json` prints {reasoning, answer, stats} once done. Ctrl+C stops the generation and keeps what was said.
 */
import type { StreamEvent } from '../../generate/r1-stream';
import type { GenerationOutput } from '../../services/generation';
import { startBackend } from '../backend';
import { CliError, type CliCommand } from '../command';
import { addGenerationOptions, addThreadsOption, generationOptions, type RunCliOptions } from '../generation-options';
import { resolveModel } from './models';

export const DIM = '\x1b[2m';
export const RESET = '\x1b[0m';

/** Writes streamed text: reasoning dimmed, a blank line, then the answer. */
export function streamPrinter(out: NodeJS.WriteStream, color: boolean) {
  let phase: 'none' | 'reasoning' | 'answer' = 'none';
  return {
    write(event: StreamEvent) {
      if (event.type === 'reasoning') {
        if (phase === 'none' && color) out.write(DIM);
        phase = 'reasoning';
        out.write(event.text);
        return;
      }
      if (phase === 'reasoning') out.write(color ? `${RESET}\n\n` : '\n\n');
      phase = 'answer';
      out.write(event.text);
    },
    end() {
      if (phase === 'reasoning' && color) out.write(RESET);
      if (phase !== 'none') out.write('\n');
      phase = 'none';
    },
  };
}

export const runCommand: CliCommand = (program) => {
  const command = program.command('run <model> <prompt>').description('Generate one reply (thinking dimmed, then the answer); model = id, name or folder');
  addThreadsOption(addGenerationOptions(command), 'CPU threads for the model (default: the Settings value, else one per physical core)')
    .option('--json', 'print {reasoning, answer, stats} as JSON when done')
    .action(async (modelRef: string, prompt: string, options: RunCliOptions) => {
      const generation = generationOptions(options);
      const backend = await startBackend();
      try {
        const model = await resolveModel(backend.services, modelRef);
        const call = backend.services.generation.start({
          modelId: model.id,
          messages: [{ role: 'user', content: prompt }],
          settings: { ...generation, provider: options.provider, dtype: options.dtype, threads: options.threads },
        });
        const onSigint = () => call.cancel();
        process.on('SIGINT', onSigint);
        const printer = streamPrinter(process.stdout, !options.json && process.stdout.isTTY === true);
        try {
          for await (const piece of call.pieces) if (piece.type !== 'thought' && !options.json) printer.write(piece);
          const result = await call.result;
          printer.end();
          const { model: loaded, ...rest } = result;
          if (options.json) process.stdout.write(`${JSON.stringify({ reasoning: rest.reasoning, answer: rest.answer, stats: rest.stats, fallbacks: loaded.fallbacks, advice: loaded.advice }, null, 2)}\n`);
          else process.stderr.write(formatStats(result));
        } catch (error) {
          printer.end();
          throw new CliError((error as Error).message);
        } finally {
          process.off('SIGINT', onSigint);
        }
      } finally {
        await backend.close();
      }
    });
};

export function formatStats(result: GenerationOutput): string {
  const s = result.stats;
  const lines = [
    `[${s.provider}/${s.dtype}] ${s.thinkingTokens} thinking tokens in ${(s.thinkingMs / 1000).toFixed(1)} s, ` +
      `${s.answerTokens} answer tokens, ${s.decodeTokensPerSecond.toFixed(1)} tok/s, first token after ${s.timeToFirstTokenMs.toFixed(0)} ms` +
      (s.finishReason === 'stop' ? '' : ` (${s.finishReason === 'length' ? 'token limit reached' : 'stopped'})`),
  ];
  for (const f of result.model.fallbacks) lines.push(`note: ${f.reason}`);
  if (result.model.advice) lines.push(`note: ${result.model.advice}`);
  return `${lines.join('\n')}\n`;
}
