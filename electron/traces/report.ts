/** Builds the import report while records stream by: counts, named problems (capped list), lengths. */
import { MAX_LISTED_PROBLEMS, type TokenStats, type TraceProblem, type TraceReport } from '../contract/traces';
import type { RecordPlace } from './raw-record';
import type { TraceSkip } from './text';

const HISTOGRAM_BUCKETS = 24;

export class ReportBuilder {
  private report: Omit<TraceReport, 'tokens'> = {
    files: 0, records: 0, accepted: 0, repaired: 0, skipped: 0, duplicates: 0, examples: 0,
    byFormat: {}, repairs: {}, skipReasons: {}, problems: [], problemsOmitted: 0,
  };
  private lengths = new Uint32Array(1024);

  constructor(
    private readonly unit: TokenStats['unit'],
    private readonly maxLength?: number,
  ) {}

  get records(): number {
    return this.report.records;
  }

  fileRead(): void {
    this.report.files++;
  }

  /** A file that is not read at all (unsupported type): listed, no records. */
  fileIgnored(file: string, reason: string): void {
    this.problem({ file, reason });
  }

  format(name: string): void {
    this.report.byFormat[name] = (this.report.byFormat[name] ?? 0) + 1;
  }

  skip(file: string, where: RecordPlace, skip: TraceSkip): void {
    this.report.records++;
    this.report.skipped++;
    this.report.skipReasons[skip.reason] = (this.report.skipReasons[skip.reason] ?? 0) + 1;
    this.problem({ file, ...where, reason: skip.message });
  }

  duplicate(): void {
    this.report.records++;
    this.report.duplicates++;
  }

  /** A record that gave at least one new example; `repairs` are the names of what was fixed in it. */
  used(repairs: Iterable<string>): void {
    this.report.records++;
    let repaired = false;
    for (const name of repairs) {
      repaired = true;
      this.report.repairs[name] = (this.report.repairs[name] ?? 0) + 1;
    }
    if (repaired) this.report.repaired++;
    else this.report.accepted++;
  }

  example(length: number): void {
    const n = this.report.examples++;
    if (n >= this.lengths.length) {
      const grown = new Uint32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[n] = Math.min(length, 0xffffffff);
  }

  private problem(problem: TraceProblem): void {
    if (this.report.problems.length < MAX_LISTED_PROBLEMS) this.report.problems.push(problem);
    else this.report.problemsOmitted++;
  }

  build(): TraceReport {
    return { ...this.report, tokens: lengthStats(this.lengths.subarray(0, this.report.examples), this.unit, this.maxLength) };
  }
}

export function lengthStats(lengths: Uint32Array, unit: TokenStats['unit'], maxLength?: number): TokenStats {
  const sorted = Uint32Array.from(lengths).sort();
  const n = sorted.length;
  const at = (q: number) => (n ? sorted[Math.min(n - 1, Math.ceil(q * n) - 1)] : 0);
  const max = n ? sorted[n - 1] : 0;
  let overMaxLength = 0;
  let cut = 0;
  if (maxLength !== undefined) {
    for (const length of sorted) {
      if (length > maxLength) {
        overMaxLength++;
        cut += length - maxLength;
      }
    }
  }
  const stats: TokenStats = { unit, p50: at(0.5), p95: at(0.95), max, overMaxLength, cut, histogram: histogram(sorted, Math.max(max, maxLength ?? 0)) };
  if (maxLength !== undefined) stats.maxLength = maxLength;
  return stats;
}

/** Equal-width buckets of a round width that cover [0, top]. */
function histogram(sorted: Uint32Array, top: number): TokenStats['histogram'] {
  if (!sorted.length) return [];
  const width = niceWidth(Math.max(1, top) / HISTOGRAM_BUCKETS);
  const buckets = Array.from({ length: Math.max(1, Math.ceil(top / width)) }, (_, i) => ({ upTo: (i + 1) * width, count: 0 }));
  for (const length of sorted) buckets[Math.min(buckets.length - 1, Math.max(0, Math.ceil(length / width) - 1))].count++;
  return buckets;
}

function niceWidth(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= raw)!;
  return Math.max(1, Math.round(step * power));
}
