/**
 * `distillery chats list` and `distillery chats export [--chat <id>…] --out traces.jsonl`: saved chats' finished
 * replies, with their reasoning, as canonical traces to fine-tune a smaller model on. Reads the database only (no
 * engine is started).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createServices, resolveDataDir, type Services } from '../../services';
import { createEngineHost } from '../backend';
import { CliError, type CliCommand } from '../command';

async function withServices<T>(use: (services: Services) => Promise<T>): Promise<T> {
  const services = createServices({ dataDir: resolveDataDir(), engineHost: createEngineHost(), transport: 'http' });
  try {
    return await use(services);
  } catch (error) {
    throw new CliError((error as Error).message);
  } finally {
    await services.close();
  }
}

interface ExportFlags { chat?: string[]; out: string; force?: boolean }

async function exportAction(flags: ExportFlags): Promise<void> {
  if (existsSync(flags.out) && !flags.force) throw new CliError(`${flags.out} exists: choose another --out, or add --force to replace it`);
  const result = await withServices((services) => services.call('chats.exportTraces', { chatIds: flags.chat }));
  if (result.chats === 0) throw new CliError('there are no saved chats to export (chat with a model first: distillery chat <model>)');
  if (result.traces === 0) {
    throw new CliError(`no traces in ${result.chats} chat(s): only finished replies with reasoning and an answer are exported (${result.skipped} left out)`);
  }
  await writeFile(flags.out, result.jsonl).catch((error: Error) => {
    throw new CliError(`cannot write ${flags.out}: ${error.message}`);
  });
  process.stdout.write(`Wrote ${result.traces} traces from ${result.chats} chat(s) to ${flags.out}` +
    `${result.skipped ? ` (${result.skipped} replies left out: unfinished, or without reasoning or answer)` : ''}\n`);
}

async function listAction(): Promise<void> {
  const chats = await withServices((services) => services.call('chats.list', {}));
  if (!chats.length) process.stdout.write('No chats yet.\n');
  for (const chat of chats) process.stdout.write(`${chat.id}  ${new Date(chat.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}  ${chat.title}\n`);
}

export const chatsCommand: CliCommand = (program: Command) => {
  const chats = program.command('chats').description('Saved chats: list them, export them as training traces');
  chats.command('list').description('List saved chats (id, last update, title)').action(listAction);
  chats
    .command('export')
    .description('Write finished replies (reasoning + answer) as canonical trace JSONL for traces/train')
    .option('--chat <id...>', 'chats to export (default: all)')
    .requiredOption('--out <file.jsonl>', 'output file')
    .option('--force', 'replace --out if it exists')
    .action(exportAction);
};
