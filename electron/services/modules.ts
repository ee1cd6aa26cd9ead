/**
 * Every service module. To add a concern (models, chat, convert, train): write electron/services/<name>.ts exporting a
 * ServiceModule and add it to this list (one line).
 */
import { appService } from './app';
import type { ServiceModule } from './context';
import { engineService } from './engine';
import { filesService } from './files';
import { jobsService } from './jobs';
import { modelsService } from './models';
import { chatService } from './chat';
import { compareService } from './compare';
import { chatExportService } from './chat-export';
import { settingsService } from './settings';
import { votesService } from './votes';
import { downloadsService } from './downloads';
import { finetuneService } from './finetune';
import { reconvertService } from './reconvert';

export const serviceModules: ServiceModule[] = [
  appService, engineService, jobsService, modelsService, chatService, chatExportService, compareService, votesService, filesService,
  settingsService, downloadsService, finetuneService, reconvertService,
];
