/** An API failure the UI can act on: `code` picks the message, `message` is shown to the user. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Turns anything a transport rejected with (Error, {code,message} copied over the bridge, string) into an ApiError. */
export function toApiError(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason;
  if (reason && typeof reason === 'object') {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' && message ? message : String(reason);
    return new ApiError(typeof code === 'string' ? code : 'internal', text);
  }
  return new ApiError('internal', String(reason));
}

export function errorMessage(reason: unknown): string {
  return toApiError(reason).message;
}
