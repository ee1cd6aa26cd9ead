/**
 * Builds the model folders the chat e2e specs use, with the app's own exporter (run through tsx, as a child process of
 * the spec, so Playwright's loader never has to load the converter):
 *   npx tsx e2e/support/chat-models.ts   → prints {"scripted": dir, "tiny": dir} (folders cached in os.tmpdir())
 * scripted: greedy output is DEFAULT_SCRIPT (a short thought, then "The answer is \boxed{4}.").
 * tiny: random weights, so it rambles without closing its thought until the token limit: time to stop it or kill
 * the engine mid-stream.
 */
import { scriptedOnnxModel, tinyOnnxModel } from '../../electron/generate/test-models';

export const CHAT_SCRIPT = 'Let me add.\n</think>\n\nThe answer is \\boxed{4}.';

async function main() {
  const scripted = await scriptedOnnxModel(CHAT_SCRIPT);
  const tiny = await tinyOnnxModel('qwen2', 7);
  process.stdout.write(`${JSON.stringify({ scripted, tiny })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
