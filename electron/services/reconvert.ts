/**
 * models.reconvert: "re-convert for speed". A model whose folder predates the fused graph (or, on WebGPU, holds the
 * default graph, whose cache crosses to the GPU every token: then the portable graph) is converted again from
 * the checkpoint its manifest records, with the same dtype and quantization settings, as an ordinary convert job
 * into the same folder with force: the model is unloaded first, the converter checks every source file's sha256
 * before it builds anything, writes beside the folder and swaps the result in only when it is complete (a failure
 * leaves the old folder as it was), and carries over every file it did not write. The registry keeps the model's
 * record (id, name, settings, chats) because the folder's path does not change.
 */
import type { Job } from '../contract/api';
import type { ConvertJobResult } from '../contract/engine';
import type { ServiceContext, ServiceModule } from './context';
import { ApiError } from './errors';
import { convertJobSpec, formatSeconds, releaseRegisteredOutput } from './jobs-convert';
import { runnerFor } from './jobs-runner';
import { registryFor, type ModelsRegistry } from './models';
import { reconvertInput, recordedManifest, speedUpgradeOf } from './speed-upgrade';

/** Why a model cannot be re-converted now, as an ApiError; otherwise its manifest. */
function checkReconvertible(registry: ModelsRegistry, modelId: string) {
  const record = registry.record(modelId);
  const recorded = recordedManifest(record);
  if ('problem' in recorded) throw new ApiError('bad_request', recorded.problem);
  const { manifest } = recorded;
  const upgrade = speedUpgradeOf(record, manifest, registry.reconverting.get(modelId), registry.runsOn(modelId));
  if (!upgrade) throw new ApiError('conflict', `“${record.name}” already has the fastest graph this Distillery writes: there is nothing to re-convert.`);
  if (upgrade.state === 'running') throw new ApiError('conflict', `“${record.name}” is being re-converted already (job ${upgrade.jobId}).`);
  if (upgrade.state === 'unavailable') throw new ApiError('conflict', upgrade.message);
  return { record, manifest, portable: upgrade.portable === true };
}

export async function startReconvert(ctx: ServiceContext, modelId: string): Promise<Job> {
  const registry = registryFor(ctx);
  await registry.knowProviders();
  const { record, manifest, portable } = checkReconvertible(registry, modelId);
  const input = reconvertInput(record, manifest, portable);
  const engineReady = () => ctx.engine.status().state === 'ready'; // a stopped or restarting engine has nothing loaded
  const unload = (id: string) => (engineReady() ? registry.unload(id) : Promise.resolve());
  await releaseRegisteredOutput(input, (dir) => ctx.store.models.getByPath(dir), unload);
  const spec = convertJobSpec(input, { modelsDir: ctx.paths.models, registry }, { expectSource: manifest.source.files });
  const { onSuccess, onSettled } = spec;
  const title = `Re-convert “${record.name}” for ${portable ? 'WebGPU' : 'speed'}`;
  const job = runnerFor(ctx).start<ConvertJobResult>({
    ...spec,
    title,
    onSettled: () => {
      registry.reconverting.delete(modelId);
      onSettled?.();
    },
    onSuccess: async (result) => {
      // a chat may have loaded the old graph while the job ran: the next load reads the new one
      if (registry.loaded.has(modelId)) await unload(modelId);
      const outcome = await onSuccess!(result); // refreshes the model's record (same id: the path is the same)
      const graph = portable ? 'the portable graph (its cache stays on the GPU)' : 'the fused graph';
      return { ...outcome, message: `Re-converted “${record.name}” to ${graph} in ${formatSeconds(result.seconds)}.` };
    },
  });
  registry.reconverting.set(modelId, job.id);
  return job;
}

export const reconvertService: ServiceModule = (ctx) => ({
  handlers: {
    'models.reconvert': ({ modelId }) => startReconvert(ctx, modelId),
  },
});
