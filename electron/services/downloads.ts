/**
 * catalog.* and downloads.* methods: the catalog with fit verdicts, downloads as `download` jobs (pause, resume and
 * cancel through jobs.*), per-file progress, disk usage, removing a model with or without its files, the hub token
 * and Offline mode. The parts live in ./downloads-*.ts.
 */
import { ApiError } from './errors';
import type { ServiceModule } from './context';
import { listCatalog, lookupRepo } from './downloads-catalog';
import { diskUsage, removeModel } from './downloads-files';
import { applyOffline, hubSettings, isOffline, setHubToken, setOffline } from './downloads-hub';
import { downloadJobSpec, downloadKind, liveProgress } from './downloads-job';
import { runnerFor } from './jobs-runner';

export const downloadsService: ServiceModule = (ctx) => {
  const runner = runnerFor(ctx);
  runner.define(downloadKind(ctx));
  applyOffline(ctx);
  const unsubscribe = ctx.engine.onStatus((status) => {
    if (status.state === 'ready') applyOffline(ctx);
  });
  return {
    handlers: {
      'catalog.list': ({ query, context }) => listCatalog(ctx, query, context),
      'catalog.lookup': ({ repo, context }) => lookupRepo(ctx, repo, context),
      'downloads.start': async (input) => {
        if (isOffline(ctx)) throw new ApiError('conflict', 'Offline mode is on: turn it off in Settings to download models.');
        const dtype = input.dtype ?? (await lookupRepo(ctx, input.repo).then((item) => item.recommendedDtype, () => 'q4' as const));
        const job = runner.start(downloadJobSpec(ctx, { ...input, dtype }));
        return { jobId: job.id };
      },
      'downloads.progress': async () => [...liveProgress(ctx).values()],
      'downloads.usage': async () => diskUsage(ctx),
      'downloads.removeModel': ({ modelId, withFiles }) => removeModel(ctx, modelId, withFiles),
      'downloads.settings': async () => hubSettings(ctx),
      'downloads.setOffline': async ({ offline }) => setOffline(ctx, offline),
      'downloads.setToken': async ({ token }) => setHubToken(ctx, token),
    },
    dispose: unsubscribe,
  };
};
