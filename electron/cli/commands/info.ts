/** `distillery info [--json]`: what the engine sees (ORT version, execution providers, CPU, memory). */
import type { EngineInfo } from '../../contract/api';
import { formatBytes } from '../../contract/units';
import { createEngineHost } from '../backend';
import type { CliCommand } from '../command';

export const infoCommand: CliCommand = (program) => {
  program
    .command('info')
    .description('Show the ONNX Runtime version, the execution providers available here, CPU and memory')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const engine = createEngineHost();
      try {
        await engine.start();
        const info = await engine.request('info', {}, { timeoutMs: 30_000 });
        process.stdout.write(options.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
      } finally {
        await engine.stop();
      }
    });
};


export function formatInfo(info: EngineInfo): string {
  const lines = [
    `ONNX Runtime ${info.ortVersion} (Node ${info.nodeVersion}, ${info.platform} ${info.arch})`,
    `CPU:     ${info.cpuModel} (${info.cpuCount} threads)`,
    `Memory:  ${formatBytes(info.totalMemoryBytes)} total, ${formatBytes(info.freeMemoryBytes)} free`,
    'Execution providers:',
    ...info.executionProviders.map(
      (p) => `  ${p.available ? 'yes' : 'no '}  ${p.name.padEnd(8)}${p.detail ? ` ${p.detail}` : ''}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
