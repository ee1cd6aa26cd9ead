import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubRepoOf, quickSourceCheck, sourceDifference } from './source-check';

const sha = (c: string) => c.repeat(64);
const file = (name: string, bytes: number, s: string) => ({ name, bytes, sha256: sha(s) });

describe('source checkpoint checks', () => {
  it('names the first difference: a missing file, another size, another sha256, an added shard', () => {
    const recorded = [file('config.json', 10, 'a'), file('model.safetensors', 100, 'b')];
    expect(sourceDifference(recorded, recorded)).toBeUndefined();
    expect(sourceDifference(recorded, [recorded[1]])).toBe('config.json is missing');
    expect(sourceDifference(recorded, [recorded[0], file('model.safetensors', 99, 'b')])).toBe('model.safetensors is 99 bytes, was 100');
    expect(sourceDifference(recorded, [recorded[0], file('model.safetensors', 100, 'c')])).toBe('model.safetensors has sha256 cccccccccccc…, was bbbbbbbbbbbb…');
    expect(sourceDifference(recorded, [...recorded, file('model-2.safetensors', 5, 'd')])).toBe('model-2.safetensors was not there when the model was converted');
    expect(sourceDifference(recorded, [...recorded, file('LICENSE', 5, 'd')])).toBeUndefined(); // not weights
  });

  it('reads the repository from a hub cache snapshot path only', () => {
    expect(hubRepoOf('/home/me/.cache/huggingface/hub/models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B/snapshots/abc')).toBe('deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B');
    expect(hubRepoOf('C:\\hf\\models--org--name--with--dashes\\snapshots\\abc')).toBe('org/name--with--dashes');
    expect(hubRepoOf('/data/models--org--name')).toBeUndefined(); // not a snapshot folder
    expect(hubRepoOf('/data/DeepSeek-R1-Distill-Qwen-1.5B')).toBeUndefined();
  });

  it('the quick check sees missing files and other sizes, and says what to do for a plain folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-source-check-'));
    try {
      fs.writeFileSync(path.join(dir, 'config.json'), '{}');
      expect(quickSourceCheck({ folder: dir, files: [file('config.json', 2, 'a')] })).toEqual({ ok: true });
      expect(quickSourceCheck({ folder: dir, files: [file('config.json', 3, 'a')] })).toMatchObject({ ok: false, reason: 'source changed' });
      const missing = quickSourceCheck({ folder: dir, files: [file('model.safetensors', 3, 'a')] });
      expect(missing).toEqual({
        ok: false,
        reason: 'source missing',
        message: `The source checkpoint at ${dir} is gone or incomplete (model.safetensors is missing): put the original checkpoint back at ${dir}, or download it again and convert it into a new folder.`,
      });
      expect(quickSourceCheck({ folder: dir, files: [] })).toMatchObject({ ok: false, reason: 'source not recorded' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
