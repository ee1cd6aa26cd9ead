/**
 * Every service module. To add a concern (models, chat, convert, train): write electron/services/<name>.ts exporting a
 * ServiceModule and add it to this list (one line).
 */
import { appService } from './app';
import type { ServiceModule } from './context';
import { engineService } from './engine';
import { jobsService } from './jobs';
import { modelsService } from './models';
import { chatService } from './chat';
import { chatExportService } from './chat-export';
import { settingsService } from './settings';
import { downloadsService } from './downloads';

export const serviceModules: ServiceModule[] = [appService, engineService, jobsService, modelsService, chatService, chatExportService, settingsService, downloadsService];
