/**
 * A trace folder for the Fine-tune e2e: canonical records of small sums (their references end in \boxed{}), spread
 * over two files and a subfolder, with a broken JSON line, a record without an answer field and one with an empty
 * answer, so the report has skips with file:line to show.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeFinetuneTraceFolder(folder: string): { folder: string; expected: { accepted: number; skipped: number; problems: string[] } } {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.join(folder, 'more'), { recursive: true });
  const record = (a: number, b: number) =>
    JSON.stringify({ question: `What is ${a} + ${b}?`, reasoning: `${a} plus ${b} makes ${a + b}.`, answer: `The answer is \\boxed{${a + b}}.` });
  const first = Array.from({ length: 12 }, (_, i) => record(i, i + 1));
  first.splice(4, 0, '{"question": "broken');
  const second = Array.from({ length: 12 }, (_, i) => record(i + 20, 3));
  second.push(JSON.stringify({ question: 'Where is the answer?', reasoning: 'Hmm.' }));
  second.push(JSON.stringify({ question: 'Empty?', reasoning: 'Nothing to say.', answer: ' ' }));
  fs.writeFileSync(path.join(folder, 'sums.jsonl'), `${first.join('\n')}\n`);
  fs.writeFileSync(path.join(folder, 'more', 'sums-2.jsonl'), `${second.join('\n')}\n`);
  return {
    folder,
    expected: { accepted: 24, skipped: 3, problems: ['sums.jsonl:5', 'sums-2.jsonl:13', 'sums-2.jsonl:14'] },
  };
}
