/** One downloads repository per services instance (the table of migration 004). */
import { downloadsRepository, type DownloadsRepository } from '../store/downloads';
import type { ServiceContext } from './context';

const repos = new WeakMap<ServiceContext, DownloadsRepository>();

export function downloadsRepo(ctx: ServiceContext): DownloadsRepository {
  let repo = repos.get(ctx);
  if (!repo) {
    repo = downloadsRepository(ctx.store.db);
    repos.set(ctx, repo);
  }
  return repo;
}
