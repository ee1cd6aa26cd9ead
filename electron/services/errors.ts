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

/** HTTP status for an error code (the headless server's mapping). */
export function httpStatusFor(code: string): number {
  if (code === 'bad_request') return 400;
  if (code === 'not_found') return 404;
  return 500;
}
