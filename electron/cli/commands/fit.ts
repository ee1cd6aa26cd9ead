/** `distillery fit [repo] [--json] [--context N]`: will each distill (or one repo) fit this machine, per precision. */
import { downloadsApi, type CatalogItem, type CatalogList } from '../../contract/downloads';
import { formatBytes } from '../../contract/units';
import { describeProviders } from '../../engine/providers-info';
import { setProvidersProbe } from '../../services/working-providers';
import { CliError, type CliCommand } from '../command';
import { numberOption } from '../options';
import { withRegistry } from './models';

/** The providers ONNX Runtime offers here, asked in this process: no engine to start for a report. */
async function localProviders(): Promise<string[]> {
  const ort = await import('onnxruntime-node');
  return describeProviders(ort.listSupportedBackends()).filter((p) => p.available).map((p) => p.name);
}

const VERDICT: Record<string, string> = { gpu: 'GPU', cpu: 'CPU only', none: 'will not fit' };

export function formatFit(machine: CatalogList['machine'], items: CatalogItem[]): string {
  const disks = machine.disks.map((d) => `${d.role} ${d.path}: ${d.freeBytes === undefined ? 'unknown' : `${formatBytes(d.freeBytes)} free`}`);
  const lines = [
    `RAM ${formatBytes(machine.totalMemoryBytes)} (${formatBytes(machine.availableMemoryBytes)} available) · ${machine.gpuNote} · providers: ${machine.providers.join(', ')}`,
    ...disks,
  ];
  for (const item of items) {
    lines.push('', `${item.name} (${(item.parameters / 1e9).toFixed(1)}B, context ${item.fitContext}) — recommended: ${item.recommendedDtype}`);
    for (const fit of item.fits) {
      const mark = fit.dtype === item.recommendedDtype ? '*' : ' ';
      lines.push(`  ${mark}${fit.dtype.padEnd(6)} ${VERDICT[fit.verdict].padEnd(13)} memory ${formatBytes(fit.totalBytes).padStart(9)}  download ${formatBytes(fit.downloadBytes).padStart(9)}  disk ${formatBytes(fit.diskBytes).padStart(9)}${fit.diskOk === false ? '  (not enough free disk)' : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const fitCommand: CliCommand = (program) => {
  program
    .command('fit [repo]')
    .description('Will it fit? Memory (weights + KV cache + overhead) and disk per precision, for the six distills or one repo')
    .option('--context <tokens>', 'context length to plan for (default: each model\'s default)', numberOption('--context', downloadsApi['catalog.list'].input.shape.context))
    .option('--json', 'print JSON')
    .action(async (repo: string | undefined, options: { context?: number; json?: boolean }) => {
      const { context } = options;
      await withRegistry(async (services) => {
        setProvidersProbe(services.context, localProviders);
        try {
          const list = await services.call('catalog.list', context ? { context } : {});
          const items = repo ? [await services.call('catalog.lookup', { repo, ...(context ? { context } : {}) })] : list.items;
          process.stdout.write(options.json ? `${JSON.stringify({ machine: list.machine, items }, null, 2)}\n` : formatFit(list.machine, items));
        } catch (error) {
          throw new CliError((error as Error).message);
        }
      });
    });
};
