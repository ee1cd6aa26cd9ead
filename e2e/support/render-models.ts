/**
 * Model folders for the rendering specs (math, code, long thoughts, hostile output), built with the app's exporter in
 * a tsx child process like chat-models.ts:
 *   npx tsx e2e/support/render-models.ts   → prints {"math": dir, "xssA": dir, "xssB": dir, "rambler": dir} (cached in
 *   os.tmpdir()); rambler: random weights (the chat specs' "Tiny rambler"), thinks until the token limit.
 */
import { scriptedOnnxModel, tinyOnnxModel } from '../../electron/testing/model-folders';
import { XSS_PAYLOADS_A, XSS_PAYLOADS_B, xssScript } from './xss-payloads';

/** R1 at its most typical: reasoning in LaTeX over several paragraphs, a code block, then `$\boxed{55}$`. */
export const MATH_SCRIPT = [
  'We need the sum $1 + 2 + \\dots + 10$.',
  'Pairing terms gives $$\n\\frac{10 \\cdot 11}{2} = 55\n$$',
  'Check with code:',
  '```python\nprint(sum(range(11)))\n```',
  'So the sum is 55.\n</think>',
  'The sum is $\\boxed{55}$.',
  '```python\ndef total(n):\n    return n * (n + 1) // 2\n```',
].join('\n\n');

async function main() {
  const math = await scriptedOnnxModel(MATH_SCRIPT);
  const xssA = await scriptedOnnxModel(xssScript(XSS_PAYLOADS_A, XSS_PAYLOADS_B));
  const xssB = await scriptedOnnxModel(xssScript(XSS_PAYLOADS_B, XSS_PAYLOADS_A));
  const rambler = await tinyOnnxModel('qwen2', 7);
  process.stdout.write(`${JSON.stringify({ math, xssA, xssB, rambler })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
