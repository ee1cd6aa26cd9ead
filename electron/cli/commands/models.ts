/**
 * `distillery models add <folder>` / `models list [--json]` / `models remove <id>` / `models reconvert <id>`: the model
 * registry.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelInfo } from '../../contract/inference';
import { EngineHost } from '../../engine/host';
import { createServices, resolveDataDir, type Services } from '../../services';
import { formatBytes } from '../../contract/units';
import { quickSourceCheck } from '../../convert/source-check';
import { reconvertInput, recordedManifest } from '../../services/speed-upgrade';
import { CliError, type CliCommand } from '../command';
import { convertFolder } from './convert';

/** Services without starting the engine (the registry needs only the database). */
export async function withRegistry<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const engineHost = new EngineHost({ spawn: () => { throw new Error('not started'); } });
  const services = createServices({ dataDir: resolveDataDir(), engineHost, transport: 'http' });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** A model given by id, name or folder (a folder not yet registered is added). */
export async function resolveModel(services: Services, ref: string): Promise<ModelInfo> {
  const models = await services.call('models.list', {});
  const hit = models.find((m) => m.id === ref) ?? models.filter((m) => m.name === ref);
  if (!Array.isArray(hit)) return hit;
  if (hit.length === 1) return hit[0];
  if (hit.length > 1) throw new CliError(`Several models are named "${ref}": use the id (distillery models list).`);
  if (fs.existsSync(ref) && fs.statSync(ref).isDirectory()) return addModel(services, path.resolve(ref));
  throw new CliError(`No model "${ref}". Add its folder with \`distillery models add <folder>\` or list them with \`distillery models list\`.`);
}

async function addModel(services: Services, folder: string, name?: string): Promise<ModelInfo> {
  try {
    return await services.call('models.add', name ? { path: folder, name } : { path: folder });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export function formatModels(models: ModelInfo[]): string {
  if (models.length === 0) return 'No models yet. Add one with `distillery models add <folder>`.\n';
  const rows = models.flatMap((m) => [`${m.id}  ${m.name}  ${m.arch}  ${m.dtypes.join('/')}  ${formatBytes(m.sizeBytes)}  ${m.path}`, ...offerLines(m)]);
  return `${['ID  NAME  ARCH  DTYPES  SIZE  PATH', ...rows].join('\n')}\n`;
}

/** The Models row's re-convert offer, as the command that takes it (or why it cannot be taken). */
function offerLines(m: ModelInfo): string[] {
  const upgrade = m.speedUpgrade;
  if (upgrade?.state === 'available') return [`  ↳ ${upgrade.why}`, `    Run: distillery models reconvert ${m.id}${upgrade.portable ? ' --portable' : ''}`];
  if (upgrade?.state === 'unavailable') return [`  ↳ ${upgrade.message}`];
  return [];
}

/**
 * The model converted again from the checkpoint its distillery.json records, same dtype and quantization, into its
 * own folder (the app's "Re-convert" without the app): every source file's sha256 is checked before anything is
 * replaced, files the converter did not write stay, and the registry keeps the model's id, name, settings and chats.
 */
async function reconvertModel(services: Services, ref: string, portable: boolean): Promise<{ model: ModelInfo; seconds: number }> {
  const model = await resolveModel(services, ref);
  const record = services.store.models.get(model.id)!;
  const recorded = recordedManifest(record);
  if ('problem' in recorded) throw new CliError(recorded.problem);
  const { manifest } = recorded;
  const check = quickSourceCheck(manifest.source);
  if (!check.ok) throw new CliError(check.message);
  const input = reconvertInput(record, manifest, portable);
  const started = performance.now();
  await convertFolder(input.hfDir, record.path, {
    dtype: input.dtype,
    blockSize: input.blockSize,
    asymmetric: input.asymmetric,
    accuracyLevel: input.accuracyLevel,
    quantizeEmbeddings: input.quantizeEmbeddings,
    floatLmHead: input.quantizeLmHead === false,
    portable,
    force: true,
    expectSource: manifest.source.files,
  });
  const refreshed = await services.call('models.add', { path: record.path }); // same path: the record is kept, its files re-read
  return { model: refreshed, seconds: (performance.now() - started) / 1000 };
}

export const modelsCommand: CliCommand = (program) => {
  const models = program.command('models').description('Manage the models Distillery can run');
  models
    .command('add <folder>')
    .description('Add a model folder (converted by Distillery or in transformers.js layout); checks its files')
    .option('--name <name>', 'display name (default: the folder name)')
    .option('--json', 'print JSON')
    .action(async (folder: string, options: { name?: string; json?: boolean }) => {
      const added = await withRegistry((services) => addModel(services, path.resolve(folder), options.name));
      process.stdout.write(options.json ? `${JSON.stringify(added, null, 2)}\n` : `Added ${added.name} (${added.id}): ${added.dtypes.join(', ')}\n`);
    });
  models
    .command('list')
    .description('List the models')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withRegistry((services) => services.call('models.list', {}));
      process.stdout.write(options.json ? `${JSON.stringify(list, null, 2)}\n` : formatModels(list));
    });
  models
    .command('remove <model>')
    .description('Forget a model (by id or name); its folder is kept')
    .action(async (ref: string) => {
      await withRegistry(async (services) => {
        const model = await resolveModel(services, ref);
        await services.call('models.remove', { modelId: model.id });
        process.stdout.write(`Removed ${model.name} (${model.id}); the folder ${model.path} is untouched.\n`);
      });
    });
  models
    .command('reconvert <model>')
    .description(
      'Convert a model (id or name) again from the checkpoint it was converted from, with the same settings, into its folder: ' +
        'the default graph (fastest on the CPU), or with --portable the one for WebGPU. Every source file is checked by sha256 ' +
        'first; unload the model in a running app before.',
    )
    .option('--portable', 'write the portable graph: on WebGPU its KV cache stays on the GPU (about 10× faster there)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { portable?: boolean; json?: boolean }) => {
      const { model, seconds } = await withRegistry((services) => reconvertModel(services, ref, options.portable === true));
      const graph = options.portable ? 'the portable graph' : 'the default graph';
      process.stdout.write(options.json ? `${JSON.stringify(model, null, 2)}\n` : `Re-converted ${model.name} (${model.id}) to ${graph} in ${seconds.toFixed(1)} s: ${model.path}\n`);
    });
};
