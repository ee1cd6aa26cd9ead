/**
 * Engine handler `convert`: runs convertCheckpoint in the engine process, streaming `progress` events
 * (ConvertProgress: phase, tensors and bytes done/total, ETA) and stopping cleanly on cancel (partial output removed).
 */
import { registerHandler } from '../registry';
import { EngineError, EngineErrorCode } from '../protocol';
import { ConfigError } from '../../model/config';
import { SafetensorsError } from '../../model/safetensors';
import { convertCheckpoint } from '../../convert/convert';
import { ConvertError } from '../../convert/source';
import { CancelledError } from '../../convert/tensors';

/** Error code for a conversion refused for its input (bad checkpoint, no disk, bad options). */
export const CONVERT_ERROR_CODE = 'convert_failed';

registerHandler('convert', async (params, ctx) => {
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
});
