/**
 * Messages between the host (Electron main or the headless CLI) and the engine process.
 * Both ends validate what they receive: a bad message is logged and dropped, never trusted.
 */
import { z } from 'zod';

const RequestId = z.string().min(1).max(200);

export const RequestMessage = z.object({
  type: z.literal('request'),
  id: RequestId,
  method: z.string().min(1).max(200),
  params: z.unknown(),
});
export const CancelMessage = z.object({ type: z.literal('cancel'), id: RequestId });
export const HostToEngine = z.discriminatedUnion('type', [RequestMessage, CancelMessage]);
export type HostToEngine = z.infer<typeof HostToEngine>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const ResponseOk = z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(true), result: z.unknown() });
export const ResponseErr = z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(false), error: ErrorInfo });
/** A streamed event belonging to request `id` (progress, tokens, ...). */
export const EventMessage = z.object({ type: z.literal('event'), id: RequestId, event: z.string(), data: z.unknown() });
export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevel>;
export const LogMessage = z.object({ type: z.literal('log'), level: LogLevel, message: z.string() });
/** Sent once when the engine has registered its handlers and listens for requests. */
export const ReadyMessage = z.object({ type: z.literal('ready'), pid: z.number().int(), methods: z.array(z.string()) });

export const EngineToHost = z.union([ResponseOk, ResponseErr, EventMessage, LogMessage, ReadyMessage]);
export type EngineToHost = z.infer<typeof EngineToHost>;
export type ResponseMessage = z.infer<typeof ResponseOk> | z.infer<typeof ResponseErr>;
export type EventMessage = z.infer<typeof EventMessage>;

/** Error codes the engine plumbing itself produces; handlers may use their own codes too. */
export const EngineErrorCode = {
  cancelled: 'cancelled',
  unknownMethod: 'unknown_method',
  badParams: 'bad_request',
  /** A result or event that does not match the method's spec in the engine contract. */
  badAnswer: 'engine_bad_answer',
  handlerFailed: 'engine_error',
  crashed: 'engine_crashed',
  timeout: 'timeout',
  stopped: 'engine_stopped',
} as const;

/** An error that carries a machine-readable code across the process boundary. */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

export function parseHostMessage(raw: unknown): HostToEngine | undefined {
  const parsed = HostToEngine.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export function parseEngineMessage(raw: unknown): EngineToHost | undefined {
  const parsed = EngineToHost.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
