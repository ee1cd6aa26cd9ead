/**
 * The streamed side of /v1/chat/completions: Server-Sent Events in OpenAI's chunk format, `stop` sequences cut from
 * the answer as it streams, heartbeat comments while a request waits (queued behind others, or for the engine), and
 * an error event plus [DONE] for every open stream when the server shuts down.
 */
import { httpStatusFor, toApiError } from '../services/errors';
import type { GenerationOutput, GenerationRun } from '../services/generation';
import { openAiErrorBody } from './http';
import type { RouteContext } from './router';

/**
 * Cuts streamed text at the first stop sequence. Text that could be the start of a stop sequence is held back until
 * the next piece shows whether it is one, so a stop sequence split across pieces is never sent.
 */
export class StopMatcher {
  private held = '';
  private readonly stops: string[];
  stopped = false;

  constructor(stops: string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** The text that is safe to send now (the text before the stop sequence, once one appears). */
  push(text: string): string {
    if (this.stopped) return '';
    const all = this.held + text;
    const cut = firstStop(all, this.stops);
    if (cut >= 0) {
      this.stopped = true;
      this.held = '';
      return all.slice(0, cut);
    }
    let hold = 0;
    for (const stop of this.stops) {
      for (let k = Math.min(stop.length - 1, all.length); k > hold; k--) {
        if (all.endsWith(stop.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    this.held = all.slice(all.length - hold);
    return all.slice(0, all.length - hold);
  }

  /** What was held back, at the end of the stream. */
  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    return rest;
  }
}

/** Index of the earliest stop sequence in `text`, or -1. */
export function firstStop(text: string, stops: string[]): number {
  let cut = -1;
  for (const stop of stops) {
    const at = stop ? text.indexOf(stop) : -1;
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

export interface StreamOptions {
  meta: { id: string; created: number; model: string };
  includeUsage: boolean;
  stops: string[];
  heartbeatMs: number;
  /** The final chunk's finish reason and usage, from the generation's result. */
  finish(result: GenerationOutput, stoppedBySequence: boolean): { reason: string; usage: unknown };
}

export async function streamCompletion(ctx: RouteContext, call: GenerationRun, options: StreamOptions): Promise<void> {
  const { res } = ctx;
  const outcome = call.result.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  // A request the engine refuses at once (not running, crashed) is answered with a status, before any stream.
  const early = await Promise.race([outcome, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
  if (early && !early.ok) {
    const apiError = toApiError(early.error);
    return ctx.sendJson(httpStatusFor(apiError.code), openAiErrorBody(httpStatusFor(apiError.code), apiError.message, apiError.code));
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  const send = (payload: unknown) => !res.writableEnded && res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    send({ ...options.meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  const heartbeat = setInterval(() => !res.writableEnded && res.write(': heartbeat\n\n'), options.heartbeatMs);
  const offClose = ctx.onServerClose(() => {
    call.cancel();
    return endWithError(res, 'Distillery is shutting down; the reply was not finished.', 'server_shutdown');
  });
  try {
    chunk({ role: 'assistant', content: '' });
    const matcher = new StopMatcher(options.stops);
    for await (const piece of call.pieces) {
      if (piece.type === 'thought' || res.writableEnded) continue;
      if (piece.type === 'reasoning') {
        chunk({ reasoning_content: piece.text });
        continue;
      }
      const text = matcher.push(piece.text);
      if (text) chunk({ content: text });
      if (matcher.stopped) call.cancel();
    }
    const end = await outcome;
    if (res.writableEnded) return; // ended by the shutdown hook
    const rest = matcher.flush();
    if (rest) chunk({ content: rest });
    if (end.ok) {
      const { reason, usage } = options.finish(end.result, matcher.stopped);
      chunk({}, reason);
      if (options.includeUsage) send({ ...options.meta, object: 'chat.completion.chunk', choices: [], usage });
      res.end('data: [DONE]\n\n');
    } else {
      const apiError = toApiError(end.error);
      await endWithError(res, apiError.message, apiError.code);
    }
  } finally {
    clearInterval(heartbeat);
    offClose();
  }
}

/** An error event in OpenAI's shape, then [DONE]; resolves when it has been handed to the socket. */
function endWithError(res: RouteContext['res'], message: string, code: string): Promise<void> {
  if (res.writableEnded) return Promise.resolve();
  res.write(`data: ${JSON.stringify(openAiErrorBody(500, message, code))}\n\n`);
  return new Promise((resolve) => res.end('data: [DONE]\n\n', () => resolve()));
}
