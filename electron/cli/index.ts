/**
 * The `distillery` command line. Each command lives in electron/cli/commands/<name>.ts and exports a CliCommand;
 * to add one, import it and append it to `commands` (one line each).
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../services/version';
import { CliError, type CliCommand } from './command';
import { infoCommand } from './commands/info';
import { serveCommand } from './commands/serve';
import { modelsCommand } from './commands/models';
import { runCommand } from './commands/run';
import { chatCommand } from './commands/chat';
import { convertCommand } from './commands/convert';
import { trainCommand } from './commands/train';
import { pullCommand } from './commands/pull';
import { fitCommand } from './commands/fit';

export const commands: CliCommand[] = [serveCommand, infoCommand, modelsCommand, runCommand, chatCommand, convertCommand, trainCommand, pullCommand, fitCommand];

export function buildProgram(): Command {
  const program = new Command('distillery')
    .description('Run, compare and fine-tune the DeepSeek-R1 distilled models locally (ONNX Runtime).')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function runCli(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already printed help/usage
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(error instanceof CliError ? `Error: ${message}\n` : `Error: ${error instanceof Error ? error.stack : message}\n`);
    return 1;
  }
}

export { CliError, type CliCommand } from './command';
export { startBackend, createEngineHost, type Backend } from './backend';
