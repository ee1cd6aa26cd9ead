/** Errors that cross the API boundary as `{ error: { code, message } }`: the message is for the user. */
import { EngineError } from '../engine/protocol';

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EngineError) return new ApiError(error.code, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('internal', message || 'Unexpected error.');
}

/**
 * HTTP status by error code, for the app API and the OpenAI-compatible API. What the caller can fix is a 4xx (the
 * openai client does not retry those); engine trouble that may pass is a 503/504; anything else is a 500.
 */
const HTTP_STATUS: Record<string, number> = {
  bad_request: 400,
  /** The model does not fit in this machine's memory: a smaller model, dtype or context is needed. */
  insufficient_memory: 400,
  /** Outside what this API may touch (the folder browser's roots). */
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  busy: 409,
  not_loaded: 409,
  /** The model folder is missing or has corrupt files. */
  model_invalid: 422,
  not_implemented: 501,
  engine_crashed: 503,
  engine_stopped: 503,
  timeout: 504,
};

/** HTTP status for an error code (the headless server's mapping). */
export function httpStatusFor(code: string): number {
  return HTTP_STATUS[code] ?? 500;
}
