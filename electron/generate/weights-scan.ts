/**
 * Every float weight of a model folder checked for NaN and infinity when the folder is added, so a damaged file is
 * refused naming the file and the tensor instead of producing garbage at the first chat. Float initializers are
 * checked whatever the variant: fp32 and fp16 weights, and the float scales of 4-bit MatMulNBits and
 * GatherBlockQuantized weights (their packed 4-bit payloads and zero points are integers and cannot be NaN).
 * External-data files are read in chunks into one reused buffer, so a multi-gigabyte folder never sits in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { FLOAT_KIND_BYTES, firstNonFinite, type FloatKind } from '../util/finite';
import { externalDataOf, ModelFolderError, type OnnxVariant } from './model-files';

const DataType = onnxProto.onnx.TensorProto.DataType;
const FLOAT_KINDS: Partial<Record<number, FloatKind>> = {
  [DataType.FLOAT]: 'F32',
  [DataType.FLOAT16]: 'F16',
  [DataType.BFLOAT16]: 'BF16',
  [DataType.DOUBLE]: 'F64',
};

/** Bytes read per chunk of an external-data file (a multiple of every float size). */
export const SCAN_CHUNK_BYTES = 16 * 1024 * 1024;

export interface ScanSummary {
  tensors: number;
  bytes: number;
}

interface ExternalTensor {
  name: string;
  kind: FloatKind;
  offset: number;
  length: number;
}

function damaged(file: string, tensor: string, index: number): ModelFolderError {
  return new ModelFolderError(
    `${file}: tensor "${tensor}" holds NaN or infinite values (element ${index}): the model's weights are damaged. Convert or download the model again.`,
  );
}

/** The values of a tensor stored inside the .onnx file, as little-endian bytes of `kind`. */
function inlineBytes(init: onnxProto.onnx.ITensorProto, kind: FloatKind): Uint8Array {
  if (init.rawData?.length) return init.rawData;
  if (kind === 'F32') return new Uint8Array(Float32Array.from(init.floatData ?? []).buffer);
  if (kind === 'F64') return new Uint8Array(Float64Array.from(init.doubleData ?? []).buffer);
  return new Uint8Array(Uint16Array.from(init.int32Data ?? []).buffer); // float16/bfloat16 bits, one per int32
}

/** Reads `tensors` of one external-data file chunk by chunk; throws naming the file and tensor at the first bad value. */
async function scanExternalFile(file: string, tensors: ExternalTensor[], buffer: Uint8Array): Promise<number> {
  const handle = await fs.promises.open(file, 'r');
  let bytes = 0;
  try {
    for (const tensor of tensors.sort((a, b) => a.offset - b.offset)) {
      const size = FLOAT_KIND_BYTES[tensor.kind];
      for (let done = 0; done < tensor.length; ) {
        const want = Math.min(buffer.byteLength, tensor.length - done);
        const { bytesRead } = await handle.read(buffer, 0, want, tensor.offset + done);
        if (bytesRead < size) throw new ModelFolderError(`Weight file truncated: ${file} ends inside tensor "${tensor.name}". Re-convert or re-download the model.`);
        const whole = bytesRead - (bytesRead % size);
        const bad = firstNonFinite(buffer.subarray(0, whole), tensor.kind);
        if (bad >= 0) throw damaged(file, tensor.name, done / size + bad);
        done += whole;
        bytes += whole;
      }
    }
  } finally {
    await handle.close();
  }
  return bytes;
}

/** Checks one .onnx file and its external data; returns how many float tensors and bytes it read. */
export async function scanOnnxWeights(onnxPath: string, buffer = new Uint8Array(SCAN_CHUNK_BYTES)): Promise<ScanSummary> {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(await fs.promises.readFile(onnxPath));
  } catch (err) {
    throw new ModelFolderError(`${onnxPath} is not a readable ONNX model (${(err as Error).message}). Re-convert the model.`);
  }
  const dir = path.dirname(onnxPath);
  const byFile = new Map<string, ExternalTensor[]>();
  const summary: ScanSummary = { tensors: 0, bytes: 0 };
  for (const init of model.graph?.initializer ?? []) {
    const kind = FLOAT_KINDS[init.dataType ?? 0];
    if (!kind) continue;
    summary.tensors += 1;
    const external = externalDataOf(init, onnxPath);
    if (!external) {
      const bytes = inlineBytes(init, kind);
      const bad = firstNonFinite(bytes, kind);
      if (bad >= 0) throw damaged(onnxPath, init.name ?? '', bad);
      summary.bytes += bytes.byteLength;
      continue;
    }
    // checkExternalData (run first, by inspectModelFolder) refused locations outside the folder and short files
    const file = path.resolve(dir, external.location);
    // a reference without a length covers the tensor's own size
    const length = external.length || (init.dims ?? []).reduce<number>((n, d) => n * Number(d), FLOAT_KIND_BYTES[kind]);
    byFile.set(file, [...(byFile.get(file) ?? []), { name: init.name ?? '', kind, offset: external.offset, length }]);
  }
  for (const [file, tensors] of byFile) summary.bytes += await scanExternalFile(file, tensors, buffer);
  return summary;
}

/** Checks every variant of a model folder (see inspectModelFolder); one chunk buffer serves them all. */
export async function scanModelWeights(variants: OnnxVariant[]): Promise<ScanSummary> {
  const buffer = new Uint8Array(SCAN_CHUNK_BYTES);
  const total: ScanSummary = { tensors: 0, bytes: 0 };
  for (const variant of variants) {
    const one = await scanOnnxWeights(variant.onnxPath, buffer);
    total.tensors += one.tensors;
    total.bytes += one.bytes;
  }
  return total;
}
