// The NaN/infinity scan of a model folder's weights: each float kind the converter writes (fp32 and fp16 weights, the
// float scales of 4-bit MatMulNBits), in external data and inside the .onnx file, named by file, tensor and element.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedModel, makeTinyModel } from '../testing/fixtures';
import { tinyOnnxModel } from '../testing/model-folders';
import { firstNonFinite } from '../util/finite';
import { externalDataOf, inspectModelFolder } from './model-files';
import { scanModelWeights, scanOnnxWeights } from './weights-scan';

const DataType = onnxProto.onnx.TensorProto.DataType;
const NAN_F32 = Buffer.from(new Uint8Array(new Float32Array([NaN]).buffer));
const INF_F32 = Buffer.from(new Uint8Array(new Float32Array([-Infinity]).buffer));
const NAN_F16 = Buffer.from([0x00, 0x7e]);
/** These tests read whole fixture folders (tens of MB): seconds alone, minutes on a machine shared by many jobs. */
const READS_FOLDERS = 300_000;

let work: string;
const folders: Record<'fp32' | 'fp16' | 'q4', string> = { fp32: '', fp16: '', q4: '' };

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-weights-scan-'));
  const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 1 });
  folders.fp32 = await tinyOnnxModel('qwen2', 1);
  folders.fp16 = (await fusedModel(hfDir, { dtype: 'fp16' })).onnxDir;
  folders.q4 = (await fusedModel(hfDir, { dtype: 'q4' })).onnxDir;
}, 600_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A private copy of a cached fixture folder, safe to damage. */
function copyOf(kind: keyof typeof folders): { dir: string; onnxPath: string } {
  const dir = path.join(work, `${kind}-${fs.readdirSync(work).length}`);
  fs.cpSync(folders[kind], dir, { recursive: true });
  return { dir, onnxPath: inspectModelFolder(dir).variants[0].onnxPath };
}

function initializers(onnxPath: string) {
  return onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath)).graph?.initializer ?? [];
}

/** Writes `bytes` over element `index` of the first external initializer `pick` accepts; returns its file and name. */
function poisonExternal(onnxPath: string, pick: (init: onnxProto.onnx.ITensorProto) => boolean, bytes: Buffer, index: number) {
  const init = initializers(onnxPath).find((i) => pick(i) && externalDataOf(i, onnxPath));
  if (!init) throw new Error('no such external initializer in the fixture');
  const external = externalDataOf(init, onnxPath)!;
  const file = path.resolve(path.dirname(onnxPath), external.location);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, external.offset + index * bytes.length);
  fs.closeSync(fd);
  return { file, name: init.name! };
}

const isFloat32 = (i: onnxProto.onnx.ITensorProto) => i.dataType === DataType.FLOAT;

describe('scanModelWeights', () => {
  it('reads every float weight of an intact folder (external and inline) and passes it', async () => {
    for (const kind of ['fp32', 'fp16', 'q4'] as const) {
      const info = inspectModelFolder(folders[kind]);
      const summary = await scanModelWeights(info.variants);
      const floats = initializers(info.variants[0].onnxPath).filter((i) => [DataType.FLOAT, DataType.FLOAT16].includes(i.dataType!));
      expect(summary.tensors, kind).toBe(floats.length);
      expect(summary.bytes, kind).toBeGreaterThan(0);
    }
  }, READS_FOLDERS);

  it('names the data file, the tensor and the element of a NaN in an fp32 weight', async () => {
    const { onnxPath } = copyOf('fp32');
    const hit = poisonExternal(onnxPath, (i) => isFloat32(i) && i.name!.includes('q_proj'), NAN_F32, 7);
    await expect(scanOnnxWeights(onnxPath)).rejects.toThrow(`${hit.file}: tensor "${hit.name}" holds NaN or infinite values (element 7)`);
  }, READS_FOLDERS);

  it('finds −infinity as well, far into a weight (past the first read chunk)', async () => {
    const { onnxPath } = copyOf('fp32');
    const bytes = (i: onnxProto.onnx.ITensorProto) => externalDataOf(i, onnxPath)?.length ?? 0;
    const largest = initializers(onnxPath).filter(isFloat32).sort((a, b) => bytes(b) - bytes(a))[0];
    const last = bytes(largest) / 4 - 1;
    expect(bytes(largest)).toBeGreaterThan(1 << 20);
    const hit = poisonExternal(onnxPath, (i) => i.name === largest.name, INF_F32, last);
    await expect(scanOnnxWeights(onnxPath, new Uint8Array(1 << 20))).rejects.toThrow(`"${hit.name}" holds NaN or infinite values (element ${last})`);
  }, READS_FOLDERS);

  it('checks fp16 weights by their bits', async () => {
    const { onnxPath } = copyOf('fp16');
    const hit = poisonExternal(onnxPath, (i) => i.dataType === DataType.FLOAT16, NAN_F16, 3);
    await expect(scanOnnxWeights(onnxPath)).rejects.toThrow(`${hit.file}: tensor "${hit.name}"`);
  }, READS_FOLDERS);

  it('checks the float scales of 4-bit weights, and never flags their packed 4-bit payload', async () => {
    const packed = copyOf('q4');
    // every byte 0xff is a valid pair of 4-bit codes (and would be NaN read as float)
    poisonExternal(packed.onnxPath, (i) => i.dataType === DataType.UINT8 && i.name!.endsWith('MatMul.weight_Q4'), Buffer.alloc(16, 0xff), 0);
    await expect(scanOnnxWeights(packed.onnxPath)).resolves.toMatchObject({ tensors: expect.any(Number) });
    const scaled = copyOf('q4');
    const hit = poisonExternal(scaled.onnxPath, (i) => isFloat32(i) && i.name!.endsWith('_scales'), NAN_F32, 0);
    await expect(scanOnnxWeights(scaled.onnxPath)).rejects.toThrow(`"${hit.name}" holds NaN`);
  }, READS_FOLDERS);

  it('checks weights stored inside the .onnx file', async () => {
    const { onnxPath } = copyOf('fp32');
    const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath));
    const inline = (model.graph?.initializer ?? []).find((i) => isFloat32(i) && !externalDataOf(i, onnxPath) && (i.rawData?.length ?? 0) >= 8)!;
    const values = new Float32Array(new Uint8Array(inline.rawData!).buffer);
    values[1] = NaN;
    inline.rawData = new Uint8Array(values.buffer);
    fs.writeFileSync(onnxPath, onnxProto.onnx.ModelProto.encode(model).finish());
    await expect(scanOnnxWeights(onnxPath)).rejects.toThrow(`${onnxPath}: tensor "${inline.name}" holds NaN or infinite values (element 1)`);
  }, READS_FOLDERS);
});

describe('firstNonFinite', () => {
  it('finds NaN and ±infinity in each float kind and passes the extremes of the finite range', () => {
    const f32 = new Float32Array([0, -0, 3.4028234663852886e38, -1.1754943508222875e-38, 1e-45]);
    expect(firstNonFinite(new Uint8Array(f32.buffer), 'F32')).toBe(-1);
    expect(firstNonFinite(new Uint8Array(new Float32Array([1, 2, Infinity]).buffer), 'F32')).toBe(2);
    expect(firstNonFinite(new Uint8Array(new Uint16Array([0x7bff, 0xfbff, 0x0001, 0xfc00]).buffer), 'F16')).toBe(3); // ±65504, tiny, −inf
    expect(firstNonFinite(new Uint8Array(new Uint16Array([0x7f7f, 0x7fc0]).buffer), 'BF16')).toBe(1); // max, NaN
    expect(firstNonFinite(new Uint8Array(new Float64Array([1e308, NaN]).buffer), 'F64')).toBe(1);
  });

  it('reads bytes that start at an odd offset (a field inside a protobuf buffer)', () => {
    const bytes = new Uint8Array(9);
    bytes.set(new Uint8Array(new Float32Array([1, NaN]).buffer), 1);
    expect(firstNonFinite(bytes.subarray(1), 'F32')).toBe(1);
  });
});
