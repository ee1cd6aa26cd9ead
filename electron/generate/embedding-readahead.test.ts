// Reading the token embedding ahead at a CPU load: exactly the bytes of the tensors `input_ids` is gathered from (the
// fp16 table, or the 4-bit table with its scales), found from the graph, checked here against the initializers named
// in the converter's layout; and never a reason for a load to fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { convertCheckpoint } from '../convert/convert';
import { fusedModel, makeTinyModel } from '../testing/fixtures';
import { embeddingRanges, readEmbeddingAhead, readRanges } from './embedding-readahead';

let hfDir: string;
let root: string;
beforeAll(async () => {
  hfDir = (await makeTinyModel({ arch: 'qwen2', seed: 31, hidden: 64, heads: 4, kvHeads: 2, layers: 1, intermediate: 96 })).hfDir;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-readahead-'));
}, 300_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Where the converter put each named initializer: [file, offset, length], read from the model's own protobuf. */
function externalOf(onnxPath: string, names: string[]): { file: string; offset: number; length: number }[] {
  const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath));
  return names.map((name) => {
    const init = model.graph!.initializer!.find((i) => i.name === name)!;
    const entry = (key: string) => init.externalData!.find((e) => e.key === key)?.value ?? '0';
    return { file: path.join(path.dirname(onnxPath), entry('location')), offset: Number(entry('offset')), length: Number(entry('length')) };
  });
}

const sum = (ranges: { length: number }[]) => ranges.reduce((total, r) => total + r.length, 0);

describe('reading the embedding ahead', () => {
  it('reads the float16 table of a q4 folder, nothing else', async () => {
    const { onnxDir } = await fusedModel(hfDir, { dtype: 'q4' });
    const onnxPath = path.join(onnxDir, 'onnx', 'model_q4.onnx');
    const expected = externalOf(onnxPath, ['model.embed_tokens.weight']);
    expect(expected[0].length).toBe(151_936 * 64 * 2);
    expect(embeddingRanges(onnxPath)).toEqual(expected);
    expect(await readRanges(embeddingRanges(onnxPath))).toBe(expected[0].length);
    expect(await readEmbeddingAhead(onnxPath)).toBe(expected[0].length);
  }, 300_000);

  it('reads the 4-bit table and its scales where the embedding is quantized', async () => {
    const out = path.join(root, 'qemb');
    const { modelFile } = await convertCheckpoint(hfDir, out, { dtype: 'q4', quantizeEmbeddings: true });
    const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(modelFile));
    const gather = model.graph!.node!.find((n) => n.opType === 'GatherBlockQuantized')!;
    const external = new Set(model.graph!.initializer!.filter((i) => i.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL).map((i) => i.name));
    const expected = externalOf(modelFile, gather.input!.filter((name) => external.has(name)));
    expect(expected.length).toBeGreaterThanOrEqual(2); // the packed table and its scales at least
    expect(new Set(embeddingRanges(modelFile).map((r) => JSON.stringify(r)))).toEqual(new Set(expected.map((r) => JSON.stringify(r))));
    expect(await readEmbeddingAhead(modelFile)).toBe(sum(expected));
  }, 300_000);

  it('a graph file with its weights inline is not decoded again (the session read them all)', () => {
    const big = path.join(root, 'inline.onnx');
    fs.writeFileSync(big, 'not a model');
    fs.truncateSync(big, 65 * 1024 * 1024); // sparse: no disk used; decoding it would throw
    expect(embeddingRanges(big)).toEqual([]);
  });

  it('a missing or unreadable model reads nothing and does not throw (the load reports its own errors)', async () => {
    expect(await readEmbeddingAhead(path.join(root, 'gone', 'model.onnx'))).toBe(0);
    const garbage = path.join(root, 'garbage.onnx');
    fs.writeFileSync(garbage, 'not a model');
    expect(await readEmbeddingAhead(garbage)).toBe(0);
  });
});
