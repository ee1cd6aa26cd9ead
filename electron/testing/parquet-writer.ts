/**
 * A minimal Parquet writer for test fixtures (no writer is installed): uncompressed PLAIN pages, RLE levels, several
 * row groups, and the column shapes the trace datasets use — optional strings/booleans/int64, lists of strings or
 * booleans (OpenR1's generations/correctness_math_verify) and lists of string structs (ShareGPT conversations), in
 * the standard 3-level LIST layout. Metadata is Thrift compact protocol, written by hand.
 */
import { writeFileSync } from 'node:fs';

export type ParquetColumn =
  | { name: string; kind: 'string' | 'bool' | 'int64' }
  | { name: string; kind: 'list'; item: 'string' | 'bool' }
  | { name: string; kind: 'structList'; fields: string[] };

type Value = unknown;
type Row = Record<string, Value>;

const TYPE = { BOOLEAN: 0, INT64: 2, BYTE_ARRAY: 6 } as const;
const REP = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
const CONVERTED = { UTF8: 0, LIST: 3 } as const;
const CT = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

/** Thrift compact protocol, just the parts the file metadata needs. */
class Thrift {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint | number): void {
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
  zigzag(n: bigint | number): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void {
    this.field(id, CT.I32);
    this.zigzag(v);
  }
  i64(id: number, v: number | bigint): void {
    this.field(id, CT.I64);
    this.zigzag(v);
  }
  binary(id: number, s: string): void {
    this.field(id, CT.BINARY);
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
  }
  struct(id: number | undefined, body: () => void): void {
    if (id !== undefined) this.field(id, CT.STRUCT);
    this.last.push(0);
    body();
    this.bytes.push(0);
    this.last.pop();
  }
  list(id: number, elemType: number, count: number, each: (i: number) => void): void {
    this.field(id, CT.LIST);
    if (count < 15) this.bytes.push((count << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(count);
    }
    for (let i = 0; i < count; i++) each(i);
  }
  listElemI32(v: number): void {
    this.zigzag(v);
  }
  listElemBinary(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
  }
}

interface Leaf {
  path: string[];
  type: number;
  maxDef: number;
  maxRep: number;
  /** (rep, def, value?) triples for one row. */
  shred(row: Row): [number, number, Value?][];
  valueKind: 'string' | 'bool' | 'int64';
}

const present = (v: Value) => v !== undefined && v !== null;
const physical = (k: 'string' | 'bool' | 'int64') => (k === 'string' ? TYPE.BYTE_ARRAY : k === 'bool' ? TYPE.BOOLEAN : TYPE.INT64);

function leaves(columns: ParquetColumn[]): Leaf[] {
  return columns.flatMap((c): Leaf[] => {
    if (c.kind === 'list') {
      return [{
        path: [c.name, 'list', 'element'], type: physical(c.item), maxDef: 3, maxRep: 1, valueKind: c.item,
        shred: (row) => listLevels(row[c.name], (item) => (present(item) ? [3, item] : [2])),
      }];
    }
    if (c.kind === 'structList') {
      return c.fields.map((f) => ({
        path: [c.name, 'list', 'element', f], type: TYPE.BYTE_ARRAY, maxDef: 4, maxRep: 1, valueKind: 'string' as const,
        shred: (row: Row) => listLevels(row[c.name], (item) => {
          if (!present(item)) return [2];
          const v = (item as Row)[f];
          return present(v) ? [4, v] : [3];
        }),
      }));
    }
    return [{ path: [c.name], type: physical(c.kind), maxDef: 1, maxRep: 0, valueKind: c.kind, shred: (row) => (present(row[c.name]) ? [[0, 1, row[c.name]]] : [[0, 0]]) }];
  });
}

function listLevels(list: Value, item: (v: Value) => [number, Value?]): [number, number, Value?][] {
  if (!present(list)) return [[0, 0]];
  const items = list as Value[];
  if (items.length === 0) return [[0, 1]];
  return items.map((v, j) => {
    const [def, value] = item(v);
    return value === undefined ? [j === 0 ? 0 : 1, def] : [j === 0 ? 0 : 1, def, value];
  });
}

/** RLE runs only (valid RLE/bit-packed hybrid), with the 4-byte length prefix of data page v1. */
function levels(values: number[], maxLevel: number): Buffer {
  const width = Math.ceil(Math.log2(maxLevel + 1));
  const byteWidth = Math.ceil(width / 8);
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    let header = (j - i) << 1;
    while (header >= 0x80) {
      out.push((header & 0x7f) | 0x80);
      header >>>= 7;
    }
    out.push(header);
    for (let b = 0; b < byteWidth; b++) out.push((values[i] >> (8 * b)) & 0xff);
    i = j;
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(out.length);
  return Buffer.concat([length, Buffer.from(out)]);
}

function plainValues(kind: Leaf['valueKind'], values: Value[]): Buffer {
  if (kind === 'bool') {
    const out = Buffer.alloc(Math.ceil(values.length / 8));
    values.forEach((v, i) => {
      if (v) out[i >> 3] |= 1 << (i & 7);
    });
    return out;
  }
  if (kind === 'int64') {
    const out = Buffer.alloc(8 * values.length);
    values.forEach((v, i) => out.writeBigInt64LE(BigInt(v as number | bigint), 8 * i));
    return out;
  }
  return Buffer.concat(values.flatMap((v) => {
    const bytes = v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return [length, bytes];
  }));
}

function page(leaf: Leaf, rows: Row[]): { bytes: Buffer; numValues: number } {
  const triples = rows.flatMap((r) => leaf.shred(r));
  const parts: Buffer[] = [];
  if (leaf.maxRep > 0) parts.push(levels(triples.map((t) => t[0]), leaf.maxRep));
  parts.push(levels(triples.map((t) => t[1]), leaf.maxDef));
  parts.push(plainValues(leaf.valueKind, triples.filter((t) => t[1] === leaf.maxDef).map((t) => t[2])));
  const data = Buffer.concat(parts);
  const header = new Thrift();
  header.struct(undefined, () => {
    header.i32(1, 0); // DATA_PAGE
    header.i32(2, data.length);
    header.i32(3, data.length);
    header.struct(5, () => {
      header.i32(1, triples.length);
      header.i32(2, 0); // PLAIN
      header.i32(3, 3); // RLE
      header.i32(4, 3);
    });
  });
  return { bytes: Buffer.concat([Buffer.from(header.bytes), data]), numValues: triples.length };
}

function schemaElements(t: Thrift, columns: ParquetColumn[]): void {
  const elements: (() => void)[] = [];
  const add = (body: () => void) => elements.push(body);
  add(() => {
    t.binary(4, 'schema');
    t.i32(5, columns.length);
  });
  const leaf = (name: string, type: number, utf8: boolean) => add(() => {
    t.i32(1, type);
    t.i32(3, REP.OPTIONAL);
    t.binary(4, name);
    if (utf8) t.i32(6, CONVERTED.UTF8);
  });
  const group = (name: string, rep: number, children: number, converted?: number) => add(() => {
    t.i32(3, rep);
    t.binary(4, name);
    t.i32(5, children);
    if (converted !== undefined) t.i32(6, converted);
  });
  for (const c of columns) {
    if (c.kind === 'list' || c.kind === 'structList') {
      group(c.name, REP.OPTIONAL, 1, CONVERTED.LIST);
      group('list', REP.REPEATED, 1);
      if (c.kind === 'list') leaf('element', physical(c.item), c.item === 'string');
      else {
        group('element', REP.OPTIONAL, c.fields.length);
        for (const f of c.fields) leaf(f, TYPE.BYTE_ARRAY, true);
      }
    } else leaf(c.name, physical(c.kind), c.kind === 'string');
  }
  t.list(2, CT.STRUCT, elements.length, (i) => t.struct(undefined, elements[i]));
}

/** Writes `rows` as a Parquet file with row groups of `rowGroupSize` rows. */
export function writeParquet(file: string, columns: ParquetColumn[], rows: Row[], rowGroupSize = 1000): void {
  const chunks: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const groups: { rows: number; columns: { leaf: Leaf; offset: number; size: number; numValues: number }[] }[] = [];
  const columnLeaves = leaves(columns);
  for (let start = 0; start < rows.length || (start === 0 && rows.length === 0); start += rowGroupSize) {
    const slice = rows.slice(start, start + rowGroupSize);
    const group = { rows: slice.length, columns: [] as { leaf: Leaf; offset: number; size: number; numValues: number }[] };
    for (const leaf of columnLeaves) {
      const { bytes, numValues } = page(leaf, slice);
      group.columns.push({ leaf, offset, size: bytes.length, numValues });
      chunks.push(bytes);
      offset += bytes.length;
    }
    groups.push(group);
    if (rows.length === 0) break;
  }
  const t = new Thrift();
  t.struct(undefined, () => {
    t.i32(1, 1);
    schemaElements(t, columns);
    t.i64(3, rows.length);
    t.list(4, CT.STRUCT, groups.length, (g) => t.struct(undefined, () => {
      const group = groups[g];
      t.list(1, CT.STRUCT, group.columns.length, (c) => t.struct(undefined, () => {
        const col = group.columns[c];
        t.i64(2, col.offset);
        t.struct(3, () => {
          t.i32(1, col.leaf.type);
          t.list(2, CT.I32, 2, (i) => t.listElemI32(i === 0 ? 0 : 3));
          t.list(3, CT.BINARY, col.leaf.path.length, (i) => t.listElemBinary(col.leaf.path[i]));
          t.i32(4, 0); // UNCOMPRESSED
          t.i64(5, col.numValues);
          t.i64(6, col.size);
          t.i64(7, col.size);
          t.i64(9, col.offset);
        });
      }));
      t.i64(2, group.columns.reduce((s, c) => s + c.size, 0));
      t.i64(3, group.rows);
    }));
    t.binary(6, 'distillery test writer');
  });
  const meta = Buffer.from(t.bytes);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(meta.length);
  chunks.push(meta, tail, Buffer.from('PAR1'));
  writeFileSync(file, Buffer.concat(chunks));
}
