/**
 * Packs tokenized records into fixed-length rows: segment ids (1, 2, … per record, 0 = padding) feed the
 * decoder's block-diagonal mask, position ids restart at 0 for each record, and loss weights mark the
 * positions whose NEXT token is a target (a record's last position never predicts the next record).
 */
export interface TrainingRecord {
  inputIds: number[];
  /** 1 where the token is learned (assistant/completion tokens), 0 where it is context (prompt). Same length. */
  targetMask: number[];
  /** Per-record multiplier of its token weights (GRPO advantage; 1 for SFT). */
  weight?: number;
  /** The question and reference answer it came from (sample answers and evaluation ask the question again). */
  text?: { question: string; answer: string };
}

export interface PackedBatch {
  rows: number;
  seqLen: number;
  inputIds: BigInt64Array; // [rows, seqLen]
  segmentIds: BigInt64Array; // [rows, seqLen] attention_mask in 'segments' mode
  positionIds: BigInt64Array; // [rows, seqLen]
  lossWeights: Float32Array; // [rows, seqLen], unnormalised (target indicator × record weight)
  targetCount: number; // number of target tokens (Σ indicators), for 1/N normalisation
}

/** Tokens of a record that fit a row; longer records are cut (the caller reports how many). */
export function clipRecord(record: TrainingRecord, maxLen: number): TrainingRecord {
  if (record.inputIds.length !== record.targetMask.length) {
    throw new Error(`training record has ${record.inputIds.length} tokens but ${record.targetMask.length} mask entries`);
  }
  if (record.inputIds.length <= maxLen) return record;
  return { ...record, inputIds: record.inputIds.slice(0, maxLen), targetMask: record.targetMask.slice(0, maxLen) };
}

/**
 * Greedily fills `rows` rows of `seqLen` tokens with records taken in order from `order` starting at `cursor`.
 * Returns the batch and the cursor after the last record used.
 */
export function packBatch(
  records: TrainingRecord[],
  order: number[],
  cursor: number,
  rows: number,
  seqLen: number,
): { batch: PackedBatch; cursor: number } {
  const size = rows * seqLen;
  const batch: PackedBatch = {
    rows,
    seqLen,
    inputIds: new BigInt64Array(size),
    segmentIds: new BigInt64Array(size),
    positionIds: new BigInt64Array(size),
    lossWeights: new Float32Array(size),
    targetCount: 0,
  };
  let row = 0;
  let used = 0; // tokens used in the current row
  let segment = 0;
  while (cursor < order.length) {
    const record = clipRecord(records[order[cursor]], seqLen);
    const n = record.inputIds.length;
    if (n === 0) {
      cursor++;
      continue;
    }
    if (used + n > seqLen) {
      if (row + 1 >= rows) break;
      row++;
      used = 0;
      segment = 0;
    }
    segment++;
    placeRecord(batch, record, row * seqLen + used, segment);
    used += n;
    cursor++;
  }
  return { batch, cursor };
}

function placeRecord(batch: PackedBatch, record: TrainingRecord, offset: number, segment: number): void {
  const n = record.inputIds.length;
  const weight = record.weight ?? 1;
  for (let t = 0; t < n; t++) {
    batch.inputIds[offset + t] = BigInt(record.inputIds[t]);
    batch.segmentIds[offset + t] = BigInt(segment);
    batch.positionIds[offset + t] = BigInt(t);
    // position t predicts token t+1 of the same record
    if (t + 1 < n && record.targetMask[t + 1]) {
      batch.lossWeights[offset + t] = weight;
      batch.targetCount++;
    }
  }
}

/** Multiplies every loss weight by `scale` (1/N over an accumulation window gives the mean token NLL). */
export function scaleWeights(batch: PackedBatch, scale: number): PackedBatch {
  const lossWeights = new Float32Array(batch.lossWeights.length);
  for (let i = 0; i < lossWeights.length; i++) lossWeights[i] = batch.lossWeights[i] * scale;
  return { ...batch, lossWeights };
}
