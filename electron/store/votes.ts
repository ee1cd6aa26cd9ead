/** Repository of majority-vote runs (cons@N): the prompt, the model, and each sample as it finishes. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, toJson } from './json';

export interface VoteRecord {
  id: string;
  jobId?: string;
  chatId: string;
  messageId?: string;
  modelId: string;
  /** The conversation sent to the model, as the model sees it. */
  prompt: { role: 'user' | 'assistant' | 'system'; content: string }[];
  samples: number;
  settings?: Record<string, unknown>;
  createdAt: number;
}

export interface VoteSampleRecord {
  index: number;
  seed: number;
  reasoning: string;
  content: string;
  status: 'complete' | 'stopped' | 'error';
  stats?: Record<string, unknown>;
  error?: string;
}

interface VoteRow {
  id: string;
  job_id: string | null;
  chat_id: string;
  message_id: string | null;
  model_id: string;
  prompt: string;
  samples: number;
  settings: string | null;
  created_at: number;
}

interface SampleRow {
  idx: number;
  seed: number;
  reasoning: string;
  content: string;
  status: VoteSampleRecord['status'];
  stats: string | null;
  error: string | null;
}

const toRecord = (row: VoteRow): VoteRecord =>
  compact({
    id: row.id,
    jobId: row.job_id ?? undefined,
    chatId: row.chat_id,
    messageId: row.message_id ?? undefined,
    modelId: row.model_id,
    prompt: fromJson<VoteRecord['prompt']>(row.prompt) ?? [],
    samples: row.samples,
    settings: fromJson<Record<string, unknown>>(row.settings),
    createdAt: row.created_at,
  });

const toSample = (row: SampleRow): VoteSampleRecord =>
  compact({
    index: row.idx,
    seed: row.seed,
    reasoning: row.reasoning,
    content: row.content,
    status: row.status,
    stats: fromJson<Record<string, unknown>>(row.stats),
    error: row.error ?? undefined,
  });

export function votesRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO votes (id, job_id, chat_id, message_id, model_id, prompt, samples, settings, created_at)
       VALUES (@id, NULL, @chat_id, @message_id, @model_id, @prompt, @samples, @settings, @now)`,
    ),
    setJob: db.prepare<[string, string]>('UPDATE votes SET job_id = ? WHERE id = ?'),
    byId: db.prepare<[string], VoteRow>('SELECT * FROM votes WHERE id = ?'),
    byMessage: db.prepare<[string], VoteRow>('SELECT * FROM votes WHERE message_id = ? ORDER BY created_at, rowid'),
    byJob: db.prepare<[string], VoteRow>('SELECT * FROM votes WHERE job_id = ?'),
    samples: db.prepare<[string], SampleRow>('SELECT * FROM vote_samples WHERE vote_id = ? ORDER BY idx'),
    saveSample: db.prepare(
      `INSERT OR REPLACE INTO vote_samples (vote_id, idx, seed, reasoning, content, status, stats, error)
       VALUES (@vote_id, @idx, @seed, @reasoning, @content, @status, @stats, @error)`,
    ),
  };

  return {
    create(input: Omit<VoteRecord, 'id' | 'createdAt' | 'jobId'>): VoteRecord {
      const id = randomUUID();
      statements.insert.run({
        id,
        chat_id: input.chatId,
        message_id: input.messageId ?? null,
        model_id: input.modelId,
        prompt: JSON.stringify(input.prompt),
        samples: input.samples,
        settings: toJson(input.settings),
        now: Date.now(),
      });
      return this.get(id)!;
    },
    setJob(id: string, jobId: string): void {
      statements.setJob.run(jobId, id);
    },
    get(id: string): VoteRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    byJob(jobId: string): VoteRecord | undefined {
      const row = statements.byJob.get(jobId);
      return row && toRecord(row);
    },
    listForMessage(messageId: string): VoteRecord[] {
      return statements.byMessage.all(messageId).map(toRecord);
    },
    samples(voteId: string): VoteSampleRecord[] {
      return statements.samples.all(voteId).map(toSample);
    },
    saveSample(voteId: string, sample: VoteSampleRecord): void {
      statements.saveSample.run({
        vote_id: voteId,
        idx: sample.index,
        seed: sample.seed,
        reasoning: sample.reasoning,
        content: sample.content,
        status: sample.status,
        stats: toJson(sample.stats),
        error: sample.error ?? null,
      });
    },
  };
}
export type VotesRepository = ReturnType<typeof votesRepository>;
