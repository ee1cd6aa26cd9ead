/**
 * Reasoning-trace import: a folder (or files) of traces in the public formats → the canonical JSONL that training
 * reads, with a report that counts every record. Used by `distillery traces …`, `train run --data <folder>` and the
 * Fine-tune screen.
 */
export { CanonicalTrace, TraceReport, type TraceProblem, type TokenStats } from '../contract/traces';
export { checkTraces, importTraces, DEFAULT_MAX_RECORD_BYTES, SUPPORTED_EXTENSIONS, type ImportOptions, type ImportProgress } from './import';
export { parseFieldMap } from './field-map';
export type { FieldMap, TraceFields } from './formats';
export { trainingText } from './training-text';
