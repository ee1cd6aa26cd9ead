/**
 * Reasoning traces across the boundary: the one canonical trace shape (what `traces convert` writes and `train run`
 * reads), the import report the Fine-tune screen shows, and the chat export. No Node or DOM imports (the renderer
 * imports it).
 */
import { z } from 'zod';

/** An earlier turn of a multi-turn chat: assistant turns carry their answer only (the template drops reasoning). */
export const TraceTurn = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type TraceTurn = z.infer<typeof TraceTurn>;

/**
 * One training example. The loss covers the final assistant turn (reasoning and answer); `turns` are the earlier
 * system/user/assistant messages of a multi-turn chat. `source` says where it came from: a line (JSONL, JSON, text)
 * or a row (Parquet, or the index in a JSON array read as a whole).
 */
export const CanonicalTrace = z.object({
  question: z.string().min(1),
  reasoning: z.string().min(1),
  answer: z.string().min(1),
  turns: z.array(TraceTurn).optional(),
  source: z.object({
    file: z.string(),
    line: z.number().int().min(1).optional(),
    row: z.number().int().min(0).optional(),
  }),
});
export type CanonicalTrace = z.infer<typeof CanonicalTrace>;

export const TraceProblem = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  row: z.number().int().optional(),
  reason: z.string(),
});
export type TraceProblem = z.infer<typeof TraceProblem>;

/** The problems list keeps this many entries; `skipReasons` and `repairs` still count every record. */
export const MAX_LISTED_PROBLEMS = 1000;

export const TokenStats = z.object({
  /** 'tokens' when a model's tokenizer counted them (the full training string), 'characters' otherwise. */
  unit: z.enum(['tokens', 'characters']),
  p50: z.number(),
  p95: z.number(),
  max: z.number(),
  /** The max length the figures were checked against (absent: none given). */
  maxLength: z.number().int().optional(),
  /** Examples longer than maxLength (training cuts them) and the tokens/characters cut in all. */
  overMaxLength: z.number().int(),
  cut: z.number().int(),
  /** Equal-width buckets: count of examples with length in (previous upTo, upTo]. */
  histogram: z.array(z.object({ upTo: z.number(), count: z.number().int() })),
});
export type TokenStats = z.infer<typeof TokenStats>;

/**
 * accepted + repaired + duplicates + skipped = input records (records whose text needed a repair count under
 * `repaired`, not `accepted`). `examples` is what training gets: an OpenR1 row gives one per verified generation.
 */
export const TraceReport = z.object({
  files: z.number().int(),
  records: z.number().int(),
  accepted: z.number().int(),
  repaired: z.number().int(),
  skipped: z.number().int(),
  duplicates: z.number().int(),
  examples: z.number().int(),
  /** Input records whose shape was recognised, by format (used or not). */
  byFormat: z.record(z.string(), z.number().int()),
  /** Repairs by name (a record may have several). */
  repairs: z.record(z.string(), z.number().int()),
  /** Skipped records (and unreadable files) by reason. */
  skipReasons: z.record(z.string(), z.number().int()),
  /** The first MAX_LISTED_PROBLEMS problems, in file order; `problemsOmitted` more were counted but not listed. */
  problems: z.array(TraceProblem),
  problemsOmitted: z.number().int(),
  tokens: TokenStats,
});
export type TraceReport = z.infer<typeof TraceReport>;

const Id = z.string().min(1).max(100);

export const ExportTracesInput = z
  .object({
    /** Chats to export; omitted or empty: every chat. */
    chatIds: z.array(Id).max(10_000).optional(),
  })
  .strict();

export const ExportTracesOutput = z.object({
  /** Canonical JSONL, one trace per finished assistant reply that has reasoning and an answer. */
  jsonl: z.string(),
  chats: z.number().int(),
  traces: z.number().int(),
  /** Replies left out, with why (no reasoning, stopped without an answer, …). */
  skipped: z.number().int(),
});
export type ExportTracesOutput = z.infer<typeof ExportTracesOutput>;

export const tracesApi = {
  /** The chosen chats' replies as canonical traces (the renderer offers the text as a download). */
  'chats.exportTraces': { input: ExportTracesInput, output: ExportTracesOutput },
} as const;
