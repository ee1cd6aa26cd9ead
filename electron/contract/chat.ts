/**
 * Chat features of the API contract: versions of a message (regenerate, edit-and-resend), delete, search, export,
 * per-chat instructions, saved Compare sessions with their verdict, and majority vote (cons@N).
 * Spread into `api` in ./api.ts. No Node or DOM imports here (the renderer imports it).
 */
import { z } from 'zod';
import { Chat, ChatMessage, GenerationSettings } from './inference';

const Id = z.string().min(1).max(200);

/** DeepSeek's recommended instruction for math: put into the user turn, never a system prompt. */
export const MATH_INSTRUCTIONS = 'Please reason step by step, and put your final answer within \\boxed{}.';
export const INSTRUCTION_PRESETS = [{ name: 'Math', text: MATH_INSTRUCTIONS }] as const;
export const MAX_INSTRUCTIONS_LENGTH = 4000;

export const ChatView = z.object({
  chat: Chat,
  /** The branch on screen, first message first; each message lists its versions. */
  messages: z.array(ChatMessage),
});
export type ChatView = z.infer<typeof ChatView>;

export const SearchHit = z.object({
  chatId: z.string(),
  title: z.string(),
  /** Set when a message matched (else the title did). */
  messageId: z.string().optional(),
  role: z.string().optional(),
  /** Plain text; the matched words are wrapped in \u0002 … \u0003 for the UI to highlight (as text, never HTML). */
  snippet: z.string(),
  updatedAt: z.number(),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** Final figures of one reply, side by side in the Compare verdict. */
export const ReplyFigures = z.object({
  messageId: z.string(),
  modelId: z.string().optional(),
  status: z.string(),
  /** The last \boxed{} answer as written, and normalised; absent when the reply has no box. */
  boxed: z.string().optional(),
  normalized: z.string().optional(),
  /** Against the expected answer; absent without one. */
  correct: z.boolean().optional(),
  timeToFirstTokenMs: z.number().optional(),
  thinkingTokens: z.number().optional(),
  thinkingMs: z.number().optional(),
  answerTokens: z.number().optional(),
  tokensPerSecond: z.number().optional(),
  /** thinking tokens / answer tokens; absent when there are no answer tokens. */
  thinkingRatio: z.number().optional(),
});
export type ReplyFigures = z.infer<typeof ReplyFigures>;

export const CompareVerdict = z.object({
  /** False while a side has no finished reply yet. */
  ready: z.boolean(),
  left: ReplyFigures.optional(),
  right: ReplyFigures.optional(),
  /** Both sides boxed an answer and the answers agree after normalisation. */
  agree: z.boolean().optional(),
  expectedAnswer: z.string().optional(),
});
export type CompareVerdict = z.infer<typeof CompareVerdict>;

export const CompareSession = z.object({
  id: z.string(),
  title: z.string(),
  leftChatId: z.string().optional(),
  rightChatId: z.string().optional(),
  expectedAnswer: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type CompareSession = z.infer<typeof CompareSession>;

export const VoteSample = z.object({
  index: z.number().int(),
  seed: z.number().int(),
  status: z.enum(['complete', 'stopped', 'error']),
  reasoning: z.string(),
  content: z.string(),
  normalized: z.string().optional(),
  error: z.string().optional(),
});
export type VoteSample = z.infer<typeof VoteSample>;

export const Vote = z.object({
  id: z.string(),
  jobId: z.string().optional(),
  chatId: z.string(),
  messageId: z.string().optional(),
  modelId: z.string(),
  samples: z.number().int(),
  createdAt: z.number(),
  done: z.array(VoteSample),
  /** The histogram: normalised answers and how many samples gave each, most frequent first. */
  buckets: z.array(z.object({ answer: z.string(), count: z.number().int(), samples: z.array(z.number().int()) })),
  unanswered: z.array(z.number().int()),
  majority: z.object({ answer: z.string(), count: z.number().int(), share: z.number() }).optional(),
});
export type Vote = z.infer<typeof Vote>;

export const DEFAULT_VOTE_SAMPLES = 8;

export const chatFeaturesApi = {
  /** A new sample of a reply, beside the old ones (they stay as versions). Returns at once; it streams as chats.send's. */
  'chats.regenerate': {
    input: z.object({ messageId: Id, modelId: Id.optional(), settings: GenerationSettings.optional() }).strict(),
    output: z.object({ assistantMessage: ChatMessage }),
  },
  /** Edit-and-resend: a new version of a user message and a reply to it; the old branch stays as a version. */
  'chats.edit': {
    input: z
      .object({ messageId: Id, content: z.string().min(1).max(1_000_000), modelId: Id.optional(), settings: GenerationSettings.optional() })
      .strict(),
    output: z.object({ userMessage: ChatMessage, assistantMessage: ChatMessage }),
  },
  /** Shows another version of a message (and the newest branch after it). */
  'chats.selectVersion': { input: z.object({ messageId: Id }).strict(), output: ChatView },
  /** Deletes a message and the messages after it in its branch; other versions stay. */
  'chats.deleteMessage': { input: z.object({ messageId: Id }).strict(), output: ChatView },
  'chats.search': { input: z.object({ query: z.string().max(500) }).strict(), output: z.array(SearchHit) },
  'chats.exportMarkdown': { input: z.object({ chatId: Id }).strict(), output: z.object({ fileName: z.string(), markdown: z.string() }) },
  'chats.setInstructions': {
    input: z.object({ chatId: Id, instructions: z.string().max(MAX_INSTRUCTIONS_LENGTH).nullable() }).strict(),
    output: Chat,
  },
  'compare.list': { input: z.object({}).strict(), output: z.array(CompareSession) },
  'compare.save': {
    input: z
      .object({
        sessionId: Id.optional(),
        title: z.string().trim().min(1).max(200).optional(),
        leftChatId: Id.nullable().optional(),
        rightChatId: Id.nullable().optional(),
        expectedAnswer: z.string().max(1000).nullable().optional(),
      })
      .strict(),
    output: CompareSession,
  },
  'compare.delete': { input: z.object({ sessionId: Id }).strict(), output: z.object({ deleted: z.boolean() }) },
  'compare.verdict': {
    input: z.object({ leftChatId: Id.optional(), rightChatId: Id.optional(), expectedAnswer: z.string().max(1000).optional() }).strict(),
    output: CompareVerdict,
  },
  /** cons@N: N samples of the reply to the same question, each with its own seed, as one job. */
  'votes.start': {
    input: z
      .object({
        messageId: Id,
        modelId: Id.optional(),
        samples: z.number().int().min(2).max(64).default(DEFAULT_VOTE_SAMPLES),
        settings: GenerationSettings.optional(),
      })
      .strict(),
    output: Vote,
  },
  'votes.get': { input: z.object({ voteId: Id }).strict(), output: Vote },
  'votes.forMessage': { input: z.object({ messageId: Id }).strict(), output: z.array(Vote) },
} as const;
