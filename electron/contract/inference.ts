/**
 * The inference part of the API contract: the model registry, loading, chats that stream thinking and answer.
 * Spread into `api` and `events` in ./api.ts. No Node or DOM imports here (the renderer imports it).
 */
import { z } from 'zod';
import { AbsolutePath, ConvertedWith, SpeedUpgrade } from './convert';
import { GenerationStats, LoadedModelInfo, ProviderName, TextPiece, ThoughtClosed } from './generation';

export { ProviderFallback, ProviderName } from './generation';

const Id = z.string().min(1).max(200);

export const ProviderChoice = z.enum(['auto', ...ProviderName.options]);

/** A model that is loaded in the engine: what actually runs (the engine's LoadedModelInfo, summarised). */
export const LoadedModel = LoadedModelInfo.pick({ modelId: true, provider: true, dtype: true, contextLength: true, fallbacks: true, advice: true, loadMs: true }).extend({
  estimatedBytes: z.number(),
});
export type LoadedModel = z.infer<typeof LoadedModel>;

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  arch: z.string(),
  /** Default dtype (the best variant on CPU); `dtypes` lists every variant in the folder. */
  dtype: z.string(),
  dtypes: z.array(z.string()),
  sizeBytes: z.number(),
  source: z.string(),
  /** The registered model this one was fine-tuned from (its id), when that base is registered. */
  derivedFrom: z.string().optional(),
  /** Fine-tuned models: the base's name (the registered model's, else the base folder's) and the base folder. */
  baseName: z.string().optional(),
  baseFolder: z.string().optional(),
  /** The PEFT adapter folder merged into the base, when it was a LoRA merge. */
  adapter: z.string().optional(),
  /** This model's execution provider override (Models screen); absent: the Settings default applies. */
  providerOverride: ProviderChoice.exclude(['auto']).optional(),
  addedAt: z.number(),
  loaded: LoadedModel.optional(),
  /** Folders Distillery converted: the converter version and decoder graph their manifest records. */
  convertedWith: ConvertedWith.optional(),
  /** Only on folders that predate the faster graph: whether "re-convert for speed" can run, or why not. */
  speedUpgrade: SpeedUpgrade.optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/** The most tokens one reply may generate (the engine's limit; the OpenAI API's max_tokens is bounded by it too). */
export const MAX_NEW_TOKENS = 32_768;

/** Sampling settings of a reply; the engine's options schema is derived from this one (electron/engine/handlers/generate.ts). */
export const GenerationSettings = z
  .object({
    maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS).optional(),
    temperature: z.number().min(0).max(5).optional(),
    topP: z.number().gt(0).max(1).optional(),
    topK: z.number().int().min(0).optional(),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    /** After this many thinking tokens the thought is closed and the model answers. */
    thinkingBudget: z.number().int().min(0).optional(),
    provider: ProviderChoice.optional(),
    dtype: z.string().optional(),
  })
  .strict();
export type GenerationSettings = z.infer<typeof GenerationSettings>;

/** A reply's stats: the engine's GenerationStats and the model that wrote it (all optional: old rows may lack some). */
export const MessageStats = GenerationStats.extend({ modelId: z.string() }).partial();
export type MessageStats = z.infer<typeof MessageStats>;

export const MessageStatus = z.enum(['complete', 'streaming', 'stopped', 'error', 'interrupted']);

export const ChatMessage = z.object({
  id: z.string(),
  chatId: z.string(),
  /** The message this one follows (messages form a tree once a reply is regenerated or a question edited). */
  parentId: z.string().optional(),
  /** Every version of this message (regenerated replies, edited questions), oldest first; absent when just one. */
  versionIds: z.array(z.string()).optional(),
  role: z.enum(['system', 'user', 'assistant']),
  /** For assistant messages: the answer (reasoning is separate). */
  content: z.string(),
  reasoning: z.string().optional(),
  status: MessageStatus,
  stats: MessageStats.optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const Chat = z.object({
  id: z.string(),
  title: z.string(),
  modelId: z.string().optional(),
  /** Put into each user turn sent to the model: R1 distills take no system prompt (DeepSeek's guidance). */
  instructions: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Chat = z.infer<typeof Chat>;

/** A piece of streamed text of an assistant message. */
export const ChatDelta = z.object({
  chatId: z.string(),
  messageId: z.string(),
  ...TextPiece.shape,
  /** Tokens generated for this piece (the engine batches pieces, so often more than one). */
  tokens: z.number().int().min(0),
  /** Sent once, when `</think>` arrives: the engine's `thought` event. */
  thought: ThoughtClosed.optional(),
});
export type ChatDelta = z.infer<typeof ChatDelta>;

const Empty = z.object({}).strict();

export const inferenceApi = {
  'models.list': { input: Empty, output: z.array(ModelInfo) },
  'models.add': { input: z.object({ path: AbsolutePath, name: z.string().min(1).max(200).optional() }).strict(), output: ModelInfo },
  /** Forgets the model (the folder on disk is kept). */
  'models.remove': { input: z.object({ modelId: Id }).strict(), output: z.object({ removed: z.boolean() }) },
  'models.load': {
    input: z
      .object({
        modelId: Id,
        provider: ProviderChoice.optional(),
        dtype: z.string().optional(),
        contextLength: z.number().int().min(16).max(131_072).optional(),
        /** CPU threads for this load (default: the Settings value, else one per physical core). */
        threads: z.number().int().min(1).max(256).optional(),
      })
      .strict(),
    output: LoadedModel,
  },
  'models.unload': { input: z.object({ modelId: Id }).strict(), output: z.object({ unloaded: z.boolean() }) },
  'chats.list': { input: Empty, output: z.array(Chat) },
  'chats.create': { input: z.object({ title: z.string().max(200).optional(), modelId: Id.optional() }).strict(), output: Chat },
  /** The chat and the branch on screen (first message first); each message lists its versions. */
  'chats.get': { input: z.object({ chatId: Id }).strict(), output: z.object({ chat: Chat, messages: z.array(ChatMessage) }) },
  'chats.delete': { input: z.object({ chatId: Id }).strict(), output: z.object({ deleted: z.boolean() }) },
  'chats.rename': { input: z.object({ chatId: Id, title: z.string().trim().min(1).max(200) }).strict(), output: Chat },
  /**
   * Adds the user message and starts the reply; returns at once. The reply streams as `chat.delta` events and its
   * state changes (streaming → complete | stopped | error) arrive as `chat.message` events.
   */
  'chats.send': {
    input: z
      .object({
        chatId: Id,
        content: z.string().min(1).max(1_000_000),
        /** Defaults to the chat's model. */
        modelId: Id.optional(),
        settings: GenerationSettings.optional(),
      })
      .strict(),
    output: z.object({ userMessage: ChatMessage, assistantMessage: ChatMessage }),
  },
  /** Stops a streaming reply; the partial text is kept and marked 'stopped'. */
  'chats.stop': { input: z.object({ messageId: Id }).strict(), output: ChatMessage },
} as const;

export const inferenceEvents = {
  'chat.delta': ChatDelta,
  'chat.message': ChatMessage,
} as const;
