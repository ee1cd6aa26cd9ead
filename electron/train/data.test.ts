/** Which `--data` inputs train as they are (canonical JSONL) and which go through the trace importer first. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCanonicalJsonl } from './data';

const dir = mkdtempSync(join(tmpdir(), 'distillery-train-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('isCanonicalJsonl', () => {
  it('takes a JSONL of {question, reasoning, answer} as it is (a broken first line is reported by the reader)', async () => {
    expect(await isCanonicalJsonl(file('plain.jsonl', '\n{"question": "q", "reasoning": "r", "answer": "a", "source": {"file": "x"}}\n'))).toBe(true);
    expect(await isCanonicalJsonl(file('bom.jsonl', '\uFEFF{"question": "q", "reasoning": "r", "answer": "a"}\n'))).toBe(true);
    expect(await isCanonicalJsonl(file('broken.jsonl', '{"question": \n'))).toBe(true);
  });

  it('imports folders, other containers and other record shapes', async () => {
    mkdirSync(join(dir, 'folder'));
    expect(await isCanonicalJsonl(join(dir, 'folder'))).toBe(false);
    expect(await isCanonicalJsonl(file('chat.jsonl', '{"messages": [{"role": "user", "content": "q"}]}\n'))).toBe(false);
    expect(await isCanonicalJsonl(file('plain.json', '[{"question": "q", "reasoning": "r", "answer": "a"}]'))).toBe(false);
    expect(await isCanonicalJsonl(file('wide.jsonl', `${JSON.stringify({ question: 'q'.repeat(200_000), reasoning: 5, answer: 'a' })}\n`))).toBe(false);
    await expect(isCanonicalJsonl(join(dir, 'missing.jsonl'))).rejects.toThrow(/does not exist: give a trace folder/);
  });
});
