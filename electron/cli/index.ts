/**
 * The `distillery` command line. Each command lives in electron/cli/commands/<name>.ts and exports a CliCommand;
 * to add one, add a line to COMMANDS. A command's module (and what it imports: ONNX Runtime, transformers.js, the
 * database) is loaded only when that command runs, so `distillery --help` starts at once.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../services/version';
import { CliError, type CliCommand } from './command';

interface CommandEntry {
  /** The line `distillery --help` shows; the module's own description is shown by `distillery <name> --help`. */
  summary: string;
  load(): Promise<CliCommand>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  serve: { summary: 'Start headless mode: the app and its API on http://127.0.0.1, with a token', load: async () => (await import('./commands/serve')).serveCommand },
  info: { summary: 'Show ONNX Runtime, the execution providers available here, CPU and memory', load: async () => (await import('./commands/info')).infoCommand },
  models: { summary: 'Add, list, remove and re-convert the models Distillery can run', load: async () => (await import('./commands/models')).modelsCommand },
  run: { summary: 'Generate one reply (thinking, then the answer)', load: async () => (await import('./commands/run')).runCommand },
  chat: { summary: 'Chat with a model in the terminal', load: async () => (await import('./commands/chat')).chatCommand },
  convert: { summary: 'Convert a Hugging Face qwen2/llama checkpoint into an ONNX model folder', load: async () => (await import('./commands/convert')).convertCommand },
  train: { summary: 'Fine-tune with LoRA, export training graphs, merge adapters', load: async () => (await import('./commands/train')).trainCommand },
  traces: { summary: 'Check a folder of reasoning traces, convert it to training JSONL', load: async () => (await import('./commands/traces')).tracesCommand },
  chats: { summary: 'List saved chats, export them as training traces', load: async () => (await import('./commands/chats')).chatsCommand },
  pull: { summary: 'Download a model from the Hugging Face hub (resumable, verified), convert it and add it', load: async () => (await import('./commands/pull')).pullCommand },
  fit: { summary: 'Will it fit? Memory and disk per precision for the six distills or one repo', load: async () => (await import('./commands/fit')).fitCommand },
};

/** The command a command line asks for: its first word that is not an option (`help run` asks for run). */
export function requestedCommand(argv: string[]): string | undefined {
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program with the requested command fully registered (every command, when `all`) and the others as one-line
 * entries for the help listing.
 */
export async function buildProgram(argv: string[] = process.argv, all = false): Promise<Command> {
  const program = new Command('distillery')
    .description('Run, compare and fine-tune the DeepSeek-R1 distilled models locally (ONNX Runtime).')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  const wanted = requestedCommand(argv);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (all || name === wanted) (await entry.load())(program);
    else program.command(name).description(entry.summary).allowUnknownOption().helpOption(false);
  }
  return program;
}

export async function runCli(argv: string[] = process.argv): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already printed help/usage
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(error instanceof CliError ? `Error: ${message}\n` : `Error: ${error instanceof Error ? error.stack : message}\n`);
    return 1;
  }
}

export { CliError, type CliCommand } from './command';
