// A synthetic Hugging Face checkpoint with the exact shapes of a real R1 distill and random bf16 weights, streamed to
// disk chunk by chunk (a 1.5B checkpoint is 3.5 GB; it is never in memory). For benchmarks only.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generationConfig, hfConfig, type ModelShape } from '../electron/testing/hf-config';
import { writeR1TokenizerFiles } from '../electron/tokenizer/r1-tokenizer';

export const R1_QWEN_1_5B: ModelShape = {
  arch: 'qwen2', hidden: 1536, intermediate: 8960, layers: 28, heads: 12, kvHeads: 2, vocabSize: 151936,
  ropeTheta: 10000, rmsNormEps: 1e-6,
};

export const R1_LLAMA_70B: ModelShape = {
  arch: 'llama', hidden: 8192, intermediate: 28672, layers: 80, heads: 64, kvHeads: 8, vocabSize: 128256,
  ropeTheta: 500000, rmsNormEps: 1e-5,
};

interface TensorSpec {
  name: string;
  shape: number[];
  /** Standard deviation of the random values; norms are 1 ± std. */
  std: number;
  mean: number;
}

export function tensorSpecs(shape: ModelShape): TensorSpec[] {
  const headDim = shape.hidden / shape.heads;
  const q = shape.heads * headDim;
  const kv = shape.kvHeads * headDim;
  const t = (name: string, dims: number[], std: number, mean = 0): TensorSpec => ({ name, shape: dims, std, mean });
  const lin = (name: string, out: number, inp: number) => t(name, [out, inp], 1 / Math.sqrt(inp));
  const specs = [t('model.embed_tokens.weight', [shape.vocabSize, shape.hidden], 0.02)];
  for (let i = 0; i < shape.layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(t(`${p}.input_layernorm.weight`, [shape.hidden], 0.05, 1));
    specs.push(lin(`${p}.self_attn.q_proj.weight`, q, shape.hidden), lin(`${p}.self_attn.k_proj.weight`, kv, shape.hidden));
    specs.push(lin(`${p}.self_attn.v_proj.weight`, kv, shape.hidden));
    if (shape.arch === 'qwen2') {
      specs.push(t(`${p}.self_attn.q_proj.bias`, [q], 0.1), t(`${p}.self_attn.k_proj.bias`, [kv], 0.1), t(`${p}.self_attn.v_proj.bias`, [kv], 0.1));
    }
    specs.push(lin(`${p}.self_attn.o_proj.weight`, shape.hidden, q));
    specs.push(t(`${p}.post_attention_layernorm.weight`, [shape.hidden], 0.05, 1));
    specs.push(lin(`${p}.mlp.gate_proj.weight`, shape.intermediate, shape.hidden), lin(`${p}.mlp.up_proj.weight`, shape.intermediate, shape.hidden));
    specs.push(lin(`${p}.mlp.down_proj.weight`, shape.hidden, shape.intermediate));
  }
  specs.push(t('model.norm.weight', [shape.hidden], 0.05, 1));
  specs.push(lin('lm_head.weight', shape.vocabSize, shape.hidden));
  return specs;
}

// One pool of unit-variance random bf16 values, rescaled per tensor by shifting the exponent: generating 1.8 billion
// fresh gaussians in JS would take minutes and measure nothing of interest.
function randomPool(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const pool = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    pool[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.5) * 3.4641; // uniform, variance 1
  }
  return pool;
}

// `out` is reused across chunks: fresh 16 MB buffers per chunk pile up faster than V8 collects them.
function bf16Chunk(out: Uint16Array, pool: Float32Array, start: number, count: number, std: number, mean: number): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < count; i++) {
    f[0] = mean + std * pool[(start + i * 7) % pool.length];
    out[i] = (u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16;
  }
  return out.subarray(0, count);
}

/** Writes config, generation config, tokenizer and one model.safetensors; returns the total weight bytes. */
export function writeSyntheticCheckpoint(dir: string, shape: ModelShape, opts: { layers?: number; seed?: number } = {}): number {
  const used = { ...shape, layers: opts.layers ?? shape.layers };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfig(used), null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig(used.arch), null, 2));
  writeR1TokenizerFiles(dir, used.arch);
  const specs = tensorSpecs(used);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const s of specs) {
    const bytes = s.shape.reduce((a, b) => a * b, 1) * 2;
    header[s.name] = { dtype: 'BF16', shape: s.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(text));
    const pool = randomPool(1 << 22, opts.seed ?? 1);
    let cursor = 0;
    const buffer = new Uint16Array(1 << 23);
    for (const s of specs) {
      const count = s.shape.reduce((a, b) => a * b, 1);
      for (let done = 0; done < count; done += 1 << 23) {
        const n = Math.min(1 << 23, count - done);
        const chunk = bf16Chunk(buffer, pool, cursor, n, s.std, s.mean);
        cursor = (cursor + n * 3 + 1) % pool.length;
        writeSync(fd, new Uint8Array(chunk.buffer, 0, chunk.byteLength));
      }
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}
