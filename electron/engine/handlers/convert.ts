/**
 * Engine handler `convert`: runs convertCheckpoint in the engine process, streaming `progress` events
 * (ConvertProgress: phase, tensors and bytes done/total, ETA) and stopping cleanly on cancel (partial output removed).
 */
import { z } from 'zod';
import { registerHandler } from '../registry';
import { EngineError, EngineErrorCode } from '../protocol';
import { ConfigError } from '../../model/config';
import { SafetensorsError } from '../../model/safetensors';
import { convertCheckpoint } from '../../convert/convert';
import { SourceFile, type Manifest } from '../../convert/manifest';
import { MODEL_DTYPES } from '../../convert/settings';
import { ConvertError } from '../../convert/source';
import { CancelledError } from '../../convert/tensors';

export const ConvertParams = z.object({
  hfDir: z.string().min(1).max(4096),
  outDir: z.string().min(1).max(4096),
  dtype: z.enum(MODEL_DTYPES as [string, ...string[]]),
  blockSize: z.number().int().optional(),
  symmetric: z.boolean().optional(),
  accuracyLevel: z.number().int().optional(),
  quantizeEmbeddings: z.boolean().optional(),
  quantizeLmHead: z.boolean().optional(),
  portable: z.boolean().optional(),
  overwrite: z.boolean().optional(),
  /** A re-conversion: the source files (sha256) the folder was converted from; any difference refuses it. */
  expectSource: z.array(SourceFile).optional(),
});
export type ConvertParams = z.infer<typeof ConvertParams>;

export interface ConvertJobResult {
  outDir: string;
  modelFile: string;
  manifest: Manifest;
  seconds: number;
}

/** Error code for a conversion refused for its input (bad checkpoint, no disk, bad options). */
export const CONVERT_ERROR_CODE = 'convert_failed';

registerHandler<ConvertParams, ConvertJobResult>({
  method: 'convert',
  params: ConvertParams,
  async handle(params, ctx) {
    try {
      return await convertCheckpoint(params.hfDir, params.outDir, {
        ...params,
        signal: ctx.signal,
        onProgress: (progress) => ctx.emit('progress', progress),
      });
    } catch (error) {
      if (error instanceof CancelledError || ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Conversion cancelled; the partial output was removed.');
      if (error instanceof ConvertError || error instanceof ConfigError || error instanceof SafetensorsError) {
        throw new EngineError(CONVERT_ERROR_CODE, error.message);
      }
      throw error;
    }
  },
});
