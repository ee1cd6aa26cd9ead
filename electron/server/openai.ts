/**
 * OpenAI-compatible API of the headless server: GET /v1/models and POST /v1/chat/completions (streamed or not).
 * Reasoning comes back as `reasoning_content` in the message and in stream deltas, as the DeepSeek API does, and
 * usage counts it in completion_tokens_details.reasoning_tokens. The server's token is the Bearer API key.
 */
import { z } from 'zod';
import { MAX_NEW_TOKENS, type ModelInfo } from '../contract/inference';
import type { Services } from '../services';
import { httpStatusFor, toApiError } from '../services/errors';
import type { GenerationOutput, GenerationRun } from '../services/generation';
import { SSE_HEARTBEAT_MS } from './api-routes';
import { openAiErrorBody } from './http';
import { firstStop, StopMatcher, streamCompletion } from './openai-stream';
import type { Route, RouteContext } from './router';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const OpenAiMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(TextPart), z.null()]).optional(),
});

const MaxTokens = z
  .number()
  .int()
  .min(1)
  .max(MAX_NEW_TOKENS, `must be at most ${MAX_NEW_TOKENS}: a reply can generate at most ${MAX_NEW_TOKENS} tokens.`)
  .nullable()
  .optional();

export const ChatCompletionRequest = z.object({
  model: z.string().min(1),
  messages: z.array(OpenAiMessage).min(1),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: MaxTokens,
  max_completion_tokens: MaxTokens,
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  /** Not in OpenAI's API: close the thought after this many tokens. */
  thinking_budget: z.number().int().min(0).optional(),
  n: z.number().int().min(1).nullable().optional(),
  /** Up to 4 sequences; the answer ends before the first one (the reasoning is not cut). */
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  // Accepted here only to be refused with a clear 400 below, rather than silently ignored.
  tools: z.unknown().optional(),
  tool_choice: z.unknown().optional(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
  response_format: z.unknown().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

function openAiError(ctx: RouteContext, status: number, message: string, code: string, param: string | null = null): void {
  ctx.sendJson(status, openAiErrorBody(status, message, code, param));
}

/** OpenAI's spelling of a field path: messages[0].role. */
function paramOf(path: PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${String(key)}`)).join('');
}

const isSet = (value: unknown) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

/** What this server does not do, refused by name (param) rather than ignored: a client must not get a silent subset. */
function unsupported(request: ChatCompletionRequest): { param: string; message: string } | undefined {
  if ((request.n ?? 1) > 1) {
    return { param: 'n', message: `n = ${request.n} is not supported: Distillery returns one choice per request; send ${request.n} requests instead.` };
  }
  for (const param of ['tools', 'functions'] as const) {
    if (isSet(request[param])) return { param, message: `${param} are not supported: the R1 distills do not call tools.` };
  }
  for (const param of ['tool_choice', 'function_call'] as const) {
    if (isSet(request[param]) && request[param] !== 'none') return { param, message: `${param} is not supported: the R1 distills do not call tools.` };
  }
  const format = request.response_format as { type?: unknown } | null | undefined;
  if (isSet(format) && format?.type !== 'text') {
    return { param: 'response_format', message: 'response_format is not supported: the answer is free text (ask for JSON in the prompt instead).' };
  }
  return undefined;
}

/** Public id of a model: its name when no other model has the same name, else its registry id. */
function publicIds(models: ModelInfo[]): Map<string, ModelInfo> {
  const byName = new Map<string, number>();
  for (const m of models) byName.set(m.name, (byName.get(m.name) ?? 0) + 1);
  return new Map(models.map((m) => [byName.get(m.name) === 1 ? m.name : m.id, m]));
}

async function findModel(services: Services, requested: string): Promise<ModelInfo | undefined> {
  const models = await services.call('models.list', {});
  return publicIds(models).get(requested) ?? models.find((m) => m.id === requested);
}

function textOf(content: z.infer<typeof OpenAiMessage>['content']): string {
  if (content === undefined || content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

function toTurns(messages: ChatCompletionRequest['messages']) {
  return messages.map((m) => ({ role: m.role === 'developer' ? ('system' as const) : m.role, content: textOf(m.content) }));
}

function usageOf(result: GenerationOutput) {
  const s = result.stats;
  return {
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    total_tokens: s.promptTokens + s.completionTokens,
    completion_tokens_details: { reasoning_tokens: s.thinkingTokens },
  };
}

const finishReason = (result: GenerationOutput) => (result.stats.finishReason === 'length' ? 'length' : 'stop');

export const modelsRoute: Route = {
  method: 'GET',
  path: '/v1/models',
  async handle(ctx) {
    const data = [...publicIds(await ctx.services.call('models.list', {}))].map(([id, m]) => ({
      id,
      object: 'model',
      created: Math.floor(m.addedAt / 1000),
      owned_by: 'distillery',
    }));
    ctx.sendJson(200, { object: 'list', data });
  },
};

export const chatCompletionsRoute = (heartbeatMs: number): Route => ({
  method: 'POST',
  path: '/v1/chat/completions',
  async handle(ctx) {
    const parsed = ChatCompletionRequest.safeParse(await ctx.readJson());
    if (!parsed.success) return openAiError(ctx, 400, z.prettifyError(parsed.error), 'invalid_request', paramOf(parsed.error.issues[0]?.path ?? []));
    const request = parsed.data;
    const refused = unsupported(request);
    if (refused) return openAiError(ctx, 400, refused.message, 'unsupported_parameter', refused.param);
    const stops = request.stop === null || request.stop === undefined ? [] : [request.stop].flat();
    const model = await findModel(ctx.services, request.model);
    if (!model) return openAiError(ctx, 404, `The model '${request.model}' does not exist; GET /v1/models lists them.`, 'model_not_found', 'model');
    const settings = {
      maxNewTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      seed: request.seed === null || request.seed === undefined ? undefined : request.seed >>> 0,
      thinkingBudget: request.thinking_budget,
    };
    // a client that left while its request was read and checked: its 'close' below has fired already and would
    // never stop the generation, which could run a whole thought for nobody and hold the model's queue meanwhile
    if (ctx.req.socket.destroyed) return;
    const call = ctx.services.generation.start({ modelId: model.id, messages: toTurns(request.messages), settings });
    // a client that goes away stops the generation
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished) call.cancel();
    });
    const meta = { id: `chatcmpl-${call.id}-${Date.now().toString(36)}`, created: Math.floor(Date.now() / 1000), model: request.model };
    if (request.stream) {
      return streamCompletion(ctx, call, {
        meta, stops, heartbeatMs,
        includeUsage: request.stream_options?.include_usage ?? false,
        finish: (result, stopped) => ({ reason: stopped ? 'stop' : finishReason(result), usage: usageOf(result) }),
      });
    }
    void watchForStop(call, stops);
    try {
      const result = await call.result;
      const cut = firstStop(result.answer, stops);
      ctx.sendJson(200, {
        ...meta,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: cut >= 0 ? result.answer.slice(0, cut) : result.answer, reasoning_content: result.reasoning },
            finish_reason: cut >= 0 ? 'stop' : finishReason(result),
            logprobs: null,
          },
        ],
        usage: usageOf(result),
      });
    } catch (error) {
      const apiError = toApiError(error);
      openAiError(ctx, httpStatusFor(apiError.code), apiError.message, apiError.code);
    }
  },
});

/** Without streaming: stop generating as soon as the answer holds a stop sequence (the answer is cut afterwards). */
async function watchForStop(call: GenerationRun, stops: string[]): Promise<void> {
  if (stops.length === 0) return;
  const matcher = new StopMatcher(stops);
  for await (const piece of call.pieces) {
    if (piece.type !== 'answer') continue;
    matcher.push(piece.text);
    if (matcher.stopped) return call.cancel();
  }
}

export const openAiRoutes = (heartbeatMs = SSE_HEARTBEAT_MS): Route[] => [modelsRoute, chatCompletionsRoute(heartbeatMs)];
