/** One downloads repository per services instance (the table of migration 004). */
import { downloadsRepository, type DownloadsRepository } from '../store/downloads';
import { perServices, type ServiceContext } from './context';

export const downloadsRepo: (ctx: ServiceContext) => DownloadsRepository = perServices((ctx) => downloadsRepository(ctx.store.db));
