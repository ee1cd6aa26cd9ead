/**
 * Serialize a Graph to an ONNX ModelProto (onnx-proto / protobufjs). Large initializers go to external-data sidecar
 * files (`model.onnx_data`, `model.onnx_data_1`, …, the names transformers.js looks for), written one tensor at a
 * time so a converter streams weights without holding the model in memory; a lazy tensor with `chunks()` is written
 * chunk by chunk, so even a tensor larger than one buffer can be written.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import {
  type AttrValue, chunkLengthError, type Dim, DTYPE_BYTES, elementCount, FloatAttr, FloatsAttr, type Graph,
  type Initializer, isLazy, type Node, ONNX_DTYPE_CODE, SubGraph, type Tensor, type Value,
} from './graph';
import { DEFAULT_OPSET, MS_DOMAIN } from './ops';

const { onnx } = onnxProto;

/**
 * IR 8 is what onnx-proto (ONNX 1.10) describes, and it is enough: ORT 1.30 loads it with any opset, external data
 * and the com.microsoft contrib ops (MatMulNBits packs int4 into uint8 tensors) are IR 8 features, and what IR 9 and
 * 10 add (float8 and native int4/uint4 tensor types) is never written here. Bindings for a newer onnx.proto become
 * necessary only if a graph needs those types.
 */
export const IR_VERSION = 8;

export interface WriteOptions {
  /** Default ONNX opset (default 17). */
  opset?: number;
  /** Weights of at least this many bytes go to external data (default 1024); builder constants stay inline. */
  inlineLimitBytes?: number;
  /** Offset alignment inside the data files (default 4096). */
  alignment?: number;
  /** Start a new data file once the current one would pass this size (default 2e9: browsers cap ArrayBuffers). */
  chunkBytes?: number;
  producerName?: string;
  docString?: string;
  /** Called after each initializer is written (progress for long conversions). */
  onTensor?: (name: string, index: number, total: number) => void;
}

export interface WriteResult {
  onnxFile: string;
  /** Data file names (relative to the .onnx file's folder), in chunk order; empty when everything is inline. */
  dataFiles: string[];
  externalBytes: number;
}

/** Write `graph` to `onnxFile` with external data next to it. */
export async function writeModel(graph: Graph, onnxFile: string, options: WriteOptions = {}): Promise<WriteResult> {
  const folder = dirname(onnxFile);
  const sink = new ExternalDataSink(folder, `${basename(onnxFile)}_data`, options.alignment ?? 4096, options.chunkBytes ?? 2e9);
  try {
    const inlineLimit = options.inlineLimitBytes ?? 1024;
    const tensors: P.ITensorProto[] = [];
    let index = 0;
    for (const init of graph.initializers.values()) {
      const byteLength = elementCount(init.source.dims) * DTYPE_BYTES[init.source.dtype];
      const inline = init.kind === 'constant' || byteLength < inlineLimit;
      if (inline) tensors.push(await inlineTensor(init));
      else tensors.push(await sink.append(init, byteLength));
      options.onTensor?.(init.value.name, index++, graph.initializers.size);
    }
    const bytes = encodeModelProto(graph, tensors, options);
    writeFileSync(onnxFile, bytes);
    return { onnxFile, dataFiles: sink.fileNames(), externalBytes: sink.totalBytes };
  } finally {
    sink.close();
  }
}

/** Serialize with every tensor inline (small graphs, tests, in-memory sessions). Must stay under 2 GB. */
export async function serializeModel(graph: Graph, options: WriteOptions = {}): Promise<Uint8Array> {
  const tensors: P.ITensorProto[] = [];
  for (const init of graph.initializers.values()) tensors.push(await inlineTensor(init));
  return encodeModelProto(graph, tensors, options);
}

class ExternalDataSink {
  private files: { name: string; fd: number; size: number }[] = [];
  totalBytes = 0;

  constructor(private folder: string, private baseName: string, private alignment: number, private chunkBytes: number) {}

  async append(init: Initializer, byteLength: number): Promise<P.ITensorProto> {
    const source = init.source;
    const streamed = isLazy(source) && source.chunks ? source.chunks() : undefined;
    // A whole-buffer source is fetched (and its length checked) before a file is picked, as it always was.
    const whole = streamed ? undefined : await tensorBytes(init);
    const file = this.fileFor(byteLength);
    const offset = alignUp(file.size, this.alignment);
    if (whole) writeFully(file.fd, whole, offset);
    else await writeStream(file.fd, streamed!, offset, byteLength, tensorLabel(init));
    file.size = offset + byteLength;
    this.totalBytes += byteLength;
    return {
      name: init.value.name,
      dims: init.source.dims,
      dataType: ONNX_DTYPE_CODE[init.source.dtype],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: file.name },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(byteLength) },
      ],
    };
  }

  private fileFor(byteLength: number): { name: string; fd: number; size: number } {
    const current = this.files[this.files.length - 1];
    if (current && (current.size === 0 || alignUp(current.size, this.alignment) + byteLength <= this.chunkBytes)) return current;
    const index = this.files.length;
    const name = index === 0 ? this.baseName : `${this.baseName}_${index}`;
    const file = { name, fd: openSync(join(this.folder, name), 'w'), size: 0 };
    this.files.push(file);
    return file;
  }

  fileNames(): string[] {
    return this.files.map((f) => f.name);
  }

  close(): void {
    for (const f of this.files) closeSync(f.fd);
    this.files = this.files.map((f) => ({ ...f, fd: -1 }));
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.byteLength) {
    written += writeSync(fd, bytes, written, bytes.byteLength - written, position + written);
  }
}

/**
 * Each chunk is written before the next is requested (producers reuse chunk memory). The count is checked as it
 * grows, so an over-long stream stops before it writes past its slot.
 */
async function writeStream(fd: number, chunks: AsyncIterable<Uint8Array>, offset: number, expected: number, what: string): Promise<void> {
  let done = 0;
  for await (const chunk of chunks) {
    if (done + chunk.byteLength > expected) throw chunkLengthError(what, done + chunk.byteLength, expected, 'at least ');
    writeFully(fd, chunk, offset + done);
    done += chunk.byteLength;
  }
  if (done !== expected) throw chunkLengthError(what, done, expected);
}

function tensorLabel(init: Initializer): string {
  return `Initializer "${init.value.name}" (${init.source.dtype}[${init.source.dims.join(', ')}])`;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

async function tensorBytes(init: Initializer): Promise<Uint8Array> {
  const source = init.source;
  const expected = elementCount(source.dims) * DTYPE_BYTES[source.dtype];
  const bytes = isLazy(source) ? await source.bytes() : typedBytes(source);
  if (bytes.byteLength !== expected) {
    throw new Error(`Initializer "${init.value.name}": got ${bytes.byteLength} bytes, but ${source.dtype}[${source.dims.join(', ')}] needs ${expected}.`);
  }
  return bytes;
}

function typedBytes(tensor: Tensor): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

async function inlineTensor(init: Initializer): Promise<P.ITensorProto> {
  return { name: init.value.name, dims: init.source.dims, dataType: ONNX_DTYPE_CODE[init.source.dtype], rawData: await tensorBytes(init) };
}

function encodeModelProto(graph: Graph, initializers: P.ITensorProto[], options: WriteOptions): Uint8Array {
  const opsetImport: P.IOperatorSetIdProto[] = [{ domain: '', version: options.opset ?? DEFAULT_OPSET }];
  if (graph.domains().has(MS_DOMAIN)) opsetImport.push({ domain: MS_DOMAIN, version: 1 });
  const model: P.IModelProto = {
    irVersion: IR_VERSION,
    producerName: options.producerName ?? 'distillery',
    producerVersion: '0.1.0',
    docString: options.docString,
    opsetImport,
    graph: {
      name: graph.name,
      node: graph.nodes.map(encodeNode),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: initializers,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function encodeNode(node: Node): P.INodeProto {
  return {
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    input: node.inputs.map((v) => v?.name ?? ''),
    output: node.outputs.map((v) => v.name),
    attribute: Object.entries(node.attrs).map(([name, value]) => encodeAttr(node, name, value)),
  };
}

function encodeAttr(node: Node, name: string, value: AttrValue): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof FloatAttr) return { name, type: T.FLOAT, f: value.value };
  if (value instanceof FloatsAttr) return { name, type: T.FLOATS, floats: value.values };
  // a branch body reads outer values by name, so it needs no inputs and no initializers of its own
  if (value instanceof SubGraph) return { name, type: T.GRAPH, g: { name: value.name, node: value.nodes.map(encodeNode), output: value.outputs.map(valueInfo) } };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${node.name}: attribute "${name}" = ${value} is not an integer; wrap floats with float().`);
    return { name, type: T.INT, i: value };
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: T.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: value as number[] };
  }
  const tensor = value as Tensor;
  return { name, type: T.TENSOR, t: { dims: tensor.dims, dataType: ONNX_DTYPE_CODE[tensor.dtype], rawData: typedBytes(tensor) } };
}

function valueInfo(value: Value): P.IValueInfoProto {
  return {
    name: value.name,
    type: { tensorType: { elemType: ONNX_DTYPE_CODE[value.dtype], shape: { dim: value.shape.map(encodeDim) } } },
  };
}

function encodeDim(dim: Dim): P.TensorShapeProto.IDimension {
  return typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim };
}
