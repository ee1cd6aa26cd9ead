/** Repository of fine-tuning runs (train_runs) and their per-step metrics (train_metrics). */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, toJson } from './json';

export type TrainRunState = 'running' | 'paused' | 'interrupted' | 'cancelled' | 'failed' | 'completed';

export interface TrainRunRecord {
  id: string;
  name: string;
  jobId?: string;
  baseModelId: string;
  baseName: string;
  checkpoint: string;
  outDir: string;
  config: unknown;
  state: TrainRunState;
  message?: string;
  step: number;
  totalSteps: number;
  records?: unknown;
  samples?: unknown;
  evaluation?: unknown;
  phase?: string;
  adapterPath?: string;
  mergedModelId?: string;
  createdAt: number;
  updatedAt: number;
}

export interface TrainRunPatch {
  jobId?: string;
  state?: TrainRunState;
  message?: string | null;
  step?: number;
  totalSteps?: number;
  records?: unknown;
  samples?: unknown;
  evaluation?: unknown;
  phase?: string | null;
  adapterPath?: string;
  mergedModelId?: string;
}

export interface StepRow { step: number; loss: number; lr: number; gradNorm: number; tokens: number; tokensPerSecond?: number; at: number }

interface RunRow {
  id: string; name: string; job_id: string | null; base_model_id: string; base_name: string; checkpoint: string; out_dir: string;
  config: string; state: TrainRunState; message: string | null; step: number; total_steps: number; records: string | null;
  samples: string | null; evaluation: string | null; phase: string | null; adapter_path: string | null;
  merged_model_id: string | null; created_at: number; updated_at: number;
}

interface MetricRow { kind: string; step: number; loss: number; lr: number | null; grad_norm: number | null; tokens: number | null; tokens_per_s: number | null; at: number }

const toRecord = (row: RunRow): TrainRunRecord =>
  compact({
    id: row.id, name: row.name, jobId: row.job_id ?? undefined, baseModelId: row.base_model_id, baseName: row.base_name,
    checkpoint: row.checkpoint, outDir: row.out_dir, config: fromJson(row.config), state: row.state,
    message: row.message ?? undefined, step: row.step, totalSteps: row.total_steps, records: fromJson(row.records),
    samples: fromJson(row.samples), evaluation: fromJson(row.evaluation), phase: row.phase ?? undefined,
    adapterPath: row.adapter_path ?? undefined, mergedModelId: row.merged_model_id ?? undefined,
    createdAt: row.created_at, updatedAt: row.updated_at,
  });

/** Patch field → column; JSON columns are serialised. */
const COLUMNS: Record<keyof TrainRunPatch, { column: string; json?: boolean }> = {
  jobId: { column: 'job_id' }, state: { column: 'state' }, message: { column: 'message' }, step: { column: 'step' },
  totalSteps: { column: 'total_steps' }, records: { column: 'records', json: true }, samples: { column: 'samples', json: true },
  evaluation: { column: 'evaluation', json: true }, phase: { column: 'phase' }, adapterPath: { column: 'adapter_path' },
  mergedModelId: { column: 'merged_model_id' },
};

export function trainRunsRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO train_runs (id, name, job_id, base_model_id, base_name, checkpoint, out_dir, config, state, created_at, updated_at)
       VALUES (@id, @name, @job_id, @base_model_id, @base_name, @checkpoint, @out_dir, @config, @state, @now, @now)`,
    ),
    byId: db.prepare<[string], RunRow>('SELECT * FROM train_runs WHERE id = ?'),
    byJob: db.prepare<[string], RunRow>('SELECT * FROM train_runs WHERE job_id = ?'),
    recent: db.prepare<[number], RunRow>('SELECT * FROM train_runs ORDER BY created_at DESC, rowid DESC LIMIT ?'),
    remove: db.prepare<[string]>('DELETE FROM train_runs WHERE id = ?'),
    putMetric: db.prepare(
      `INSERT OR REPLACE INTO train_metrics (run_id, kind, step, loss, lr, grad_norm, tokens, tokens_per_s, at)
       VALUES (@run_id, @kind, @step, @loss, @lr, @grad_norm, @tokens, @tokens_per_s, @at)`,
    ),
    metrics: db.prepare<[string], MetricRow>('SELECT * FROM train_metrics WHERE run_id = ? ORDER BY kind, step'),
    lastLoss: db.prepare<[string], { loss: number }>("SELECT loss FROM train_metrics WHERE run_id = ? AND kind = 'train' ORDER BY step DESC LIMIT 1"),
    dropAfter: db.prepare<[string, number]>('DELETE FROM train_metrics WHERE run_id = ? AND step > ?'),
    interruptRunning: db.prepare<[string, number]>("UPDATE train_runs SET state = 'interrupted', message = ?, updated_at = ? WHERE state = 'running'"),
  };

  const update = (id: string, patch: TrainRunPatch): TrainRunRecord | undefined => {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [keyof TrainRunPatch, unknown][];
    if (entries.length) {
      const sets = entries.map(([key]) => `${COLUMNS[key].column} = @${key}`).join(', ');
      const values = Object.fromEntries(entries.map(([key, value]) => [key, COLUMNS[key].json ? toJson(value) : value]));
      // The set of columns varies per call; the names come from COLUMNS, never from input.
      db.prepare(`UPDATE train_runs SET ${sets}, updated_at = @now WHERE id = @id`).run({ ...values, id, now: Date.now() });
    }
    return get(id);
  };
  const get = (id: string): TrainRunRecord | undefined => {
    const row = statements.byId.get(id);
    return row && toRecord(row);
  };

  return {
    create(input: { name: string; baseModelId: string; baseName: string; checkpoint: string; outDir: string; config: unknown; jobId?: string; id?: string }): TrainRunRecord {
      const id = input.id ?? randomUUID();
      statements.insert.run({
        id, name: input.name, job_id: input.jobId ?? null, base_model_id: input.baseModelId, base_name: input.baseName,
        checkpoint: input.checkpoint, out_dir: input.outDir, config: toJson(input.config), state: 'running', now: Date.now(),
      });
      return get(id)!;
    },
    get,
    byJob(jobId: string): TrainRunRecord | undefined {
      const row = statements.byJob.get(jobId);
      return row && toRecord(row);
    },
    /** Newest first. */
    list(limit = 100): TrainRunRecord[] {
      return statements.recent.all(limit).map(toRecord);
    },
    update,
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
    addStep(runId: string, m: StepRow): void {
      statements.putMetric.run({
        run_id: runId, kind: 'train', step: m.step, loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens: m.tokens,
        tokens_per_s: m.tokensPerSecond ?? null, at: m.at,
      });
    },
    addValidation(runId: string, step: number, loss: number): void {
      statements.putMetric.run({ run_id: runId, kind: 'validation', step, loss, lr: null, grad_norm: null, tokens: null, tokens_per_s: null, at: Date.now() });
    },
    /** The training loss of the run's latest step (the history list shows it). */
    lastLoss(runId: string): number | undefined {
      return statements.lastLoss.get(runId)?.loss;
    },
    /** A resumed run restarts from its checkpoint: the steps recorded after it are done again, so they go. */
    dropMetricsAfter(runId: string, step: number): void {
      statements.dropAfter.run(runId, step);
    },
    metrics(runId: string): { steps: StepRow[]; validation: { step: number; loss: number }[] } {
      const rows = statements.metrics.all(runId);
      return {
        steps: rows.filter((r) => r.kind === 'train').map((r) => compact({
          step: r.step, loss: r.loss, lr: r.lr ?? 0, gradNorm: r.grad_norm ?? 0, tokens: r.tokens ?? 0,
          tokensPerSecond: r.tokens_per_s ?? undefined, at: r.at,
        })),
        validation: rows.filter((r) => r.kind === 'validation').map((r) => ({ step: r.step, loss: r.loss })),
      };
    },
    /** Runs left 'running' by a previous process: they resume from their last checkpoint. */
    interruptRunning(): number {
      return statements.interruptRunning.run('Distillery stopped while this run trained. Resume continues from the last checkpoint.', Date.now()).changes;
    },
  };
}
export type TrainRunsRepository = ReturnType<typeof trainRunsRepository>;
