/**
 * `distillery chat <model>`: an interactive chat saved like the app's chats. Thinking streams dimmed, the answer
 * plain. Ctrl+C stops a generation (the partial reply is kept); Ctrl+D exits.
 */
import readline from 'node:readline';
import type { ChatMessage, ChatDelta } from '../../contract/inference';
import { startBackend } from '../backend';
import type { CliCommand } from '../command';
import { resolveModel } from './models';
import { addGenerationOptions, generationOptions, type RunCliOptions } from '../generation-options';
import { streamPrinter } from './run';

export const chatCommand: CliCommand = (program) => {
  addGenerationOptions(program.command('chat <model>').description('Chat with a model in the terminal (Ctrl+C stops a reply, Ctrl+D exits)')).action(
    async (modelRef: string, options: RunCliOptions) => {
      const { maxNewTokens, temperature, topP, seed, thinkingBudget } = generationOptions(options);
      const backend = await startBackend();
      const { services } = backend;
      try {
        const model = await resolveModel(services, modelRef);
        const chat = await services.call('chats.create', { modelId: model.id });
        const color = process.stdout.isTTY === true;
        const printer = streamPrinter(process.stdout, color);
        let replying: { id?: string; done: Promise<ChatMessage>; resolve(m: ChatMessage): void } | undefined;
        services.events.on('chat.delta', (d: ChatDelta) => {
          if (d.chatId === chat.id) printer.write(d);
        });
        services.events.on('chat.message', (m: ChatMessage) => {
          if (m.chatId !== chat.id || m.role !== 'assistant' || m.status === 'streaming') return;
          replying?.resolve(m);
        });
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
        rl.on('SIGINT', () => {
          if (replying?.id) void services.call('chats.stop', { messageId: replying.id });
          else process.stdout.write('\n(Ctrl+D exits)\n');
        });
        process.stdout.write(`Chatting with ${model.name}. Ctrl+C stops a reply, Ctrl+D exits.\n`);
        rl.prompt();
        for await (const line of rl) {
          const content = line.trim();
          if (!content) {
            rl.prompt();
            continue;
          }
          let resolve!: (m: ChatMessage) => void;
          const done = new Promise<ChatMessage>((r) => (resolve = r));
          // readline keeps reading while a reply streams, so Ctrl+C reaches the SIGINT handler above
          replying = { done, resolve };
          try {
            const settings = Object.fromEntries(
              Object.entries({ maxNewTokens, temperature, topP, seed, thinkingBudget, provider: options.provider, dtype: options.dtype }).filter(([, v]) => v !== undefined),
            );
            const sent = await services.call('chats.send', { chatId: chat.id, content, settings });
            replying.id = sent.assistantMessage.id;
            const final = await done;
            printer.end();
            if (final.status === 'stopped') process.stdout.write('(stopped)\n');
            if (final.status === 'error') process.stdout.write(`Error: ${final.error ?? 'generation failed'}\n`);
          } catch (error) {
            printer.end();
            process.stdout.write(`Error: ${(error as Error).message}\n`);
          }
          replying = undefined;
          rl.prompt();
        }
        process.stdout.write('\n');
      } finally {
        await backend.close();
      }
    },
  );
};
