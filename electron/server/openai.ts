/**
 * OpenAI-compatible API of the headless server: GET /v1/models and POST /v1/chat/completions (streamed or not).
 * Reasoning comes back as `reasoning_content` in the message and in stream deltas, as the DeepSeek API does, and
 * usage counts it in completion_tokens_details.reasoning_tokens. The server's token is the Bearer API key.
 */
import { z } from 'zod';
import { MAX_NEW_TOKENS } from '../contract/inference';
import type { GenerationResult } from '../generate/generator';
import type { LoadedModelInfo } from '../generate/model-pool';
import type { StreamEvent } from '../generate/r1-stream';
import type { Services } from '../services';
import { httpStatusFor, toApiError } from '../services/errors';
import { registryFor } from '../services/models';
import type { ModelRecord } from '../store';
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
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

type RunResult = GenerationResult & { model: LoadedModelInfo };

function openAiError(ctx: RouteContext, status: number, message: string, code: string, type = 'invalid_request_error'): void {
  ctx.sendJson(status, { error: { message, type, code, param: null } });
}

/** Public id of a model: its name when no other model has the same name, else its registry id. */
function publicIds(models: ModelRecord[]): Map<string, ModelRecord> {
  const byName = new Map<string, number>();
  for (const m of models) byName.set(m.name, (byName.get(m.name) ?? 0) + 1);
  return new Map(models.map((m) => [byName.get(m.name) === 1 ? m.name : m.id, m]));
}

function findModel(services: Services, requested: string): ModelRecord | undefined {
  const models = services.store.models.list();
  return publicIds(models).get(requested) ?? models.find((m) => m.id === requested);
}

function textOf(content: z.infer<typeof OpenAiMessage>['content']): string {
  if (content === undefined || content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

function toTurns(messages: ChatCompletionRequest['messages']) {
  return messages.map((m) => ({ role: m.role === 'developer' ? ('system' as const) : m.role, content: textOf(m.content) }));
}

function usageOf(result: RunResult) {
  const s = result.stats;
  return {
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    total_tokens: s.promptTokens + s.completionTokens,
    completion_tokens_details: { reasoning_tokens: s.thinkingTokens },
  };
}

const finishReason = (result: RunResult) => (result.stats.finishReason === 'length' ? 'length' : 'stop');

export const modelsRoute: Route = {
  method: 'GET',
  path: '/v1/models',
  handle(ctx) {
    const data = [...publicIds(ctx.services.store.models.list())].map(([id, m]) => ({
      id,
      object: 'model',
      created: Math.floor(m.addedAt / 1000),
      owned_by: 'distillery',
    }));
    ctx.sendJson(200, { object: 'list', data });
  },
};

export const chatCompletionsRoute: Route = {
  method: 'POST',
  path: '/v1/chat/completions',
  async handle(ctx) {
    const parsed = ChatCompletionRequest.safeParse(await ctx.readJson());
    if (!parsed.success) return openAiError(ctx, 400, z.prettifyError(parsed.error), 'invalid_request');
    const request = parsed.data;
    const model = findModel(ctx.services, request.model);
    if (!model) return openAiError(ctx, 404, `The model '${request.model}' does not exist; GET /v1/models lists them.`, 'model_not_found');
    const registry = registryFor(ctx.services.context);
    const options = {
      maxNewTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      seed: request.seed === null || request.seed === undefined ? undefined : request.seed >>> 0,
      thinkingBudget: request.thinking_budget,
    };
    const call = ctx.services.context.engine.stream<RunResult>('generate.run', {
      modelId: model.id,
      load: registry.loadParams(model.id),
      messages: toTurns(request.messages),
      options,
    });
    // a client that goes away stops the generation
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished) call.cancel();
    });
    const meta = { id: `chatcmpl-${call.id}-${Date.now().toString(36)}`, created: Math.floor(Date.now() / 1000), model: request.model };
    if (request.stream) return streamCompletion(ctx, call, meta, request.stream_options?.include_usage ?? false, registry.remember);
    try {
      const result = await call.result;
      registry.remember(result.model);
      ctx.sendJson(200, {
        ...meta,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: result.answer, reasoning_content: result.reasoning },
            finish_reason: finishReason(result),
            logprobs: null,
          },
        ],
        usage: usageOf(result),
      });
    } catch (error) {
      const apiError = toApiError(error);
      const status = httpStatusFor(apiError.code);
      openAiError(ctx, status, apiError.message, apiError.code, status < 500 ? 'invalid_request_error' : 'server_error');
    }
  },
};

async function streamCompletion(
  ctx: RouteContext,
  call: { events: AsyncIterable<{ event: string; data: unknown }>; result: Promise<RunResult> },
  meta: { id: string; created: number; model: string },
  includeUsage: boolean,
  remember: (info: LoadedModelInfo) => unknown,
): Promise<void> {
  const outcome = call.result.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
    ctx.res.write(`data: ${JSON.stringify({ ...meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`);
  chunk({ role: 'assistant', content: '' });
  for await (const { event, data } of call.events) {
    if (event !== 'text') continue;
    const piece = data as StreamEvent;
    chunk(piece.type === 'reasoning' ? { reasoning_content: piece.text } : { content: piece.text });
  }
  const end = await outcome;
  if (end.ok) {
    remember(end.result.model);
    chunk({}, finishReason(end.result));
    if (includeUsage) {
      ctx.res.write(`data: ${JSON.stringify({ ...meta, object: 'chat.completion.chunk', choices: [], usage: usageOf(end.result) })}\n\n`);
    }
  } else {
    const apiError = toApiError(end.error);
    ctx.res.write(`data: ${JSON.stringify({ error: { message: apiError.message, type: 'server_error', code: apiError.code } })}\n\n`);
  }
  ctx.res.end('data: [DONE]\n\n');
}

export const openAiRoutes: Route[] = [modelsRoute, chatCompletionsRoute];
