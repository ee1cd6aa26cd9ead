/**
 * Builds the model folders the chat e2e specs use, with the app's own exporter (run through tsx, as a child process of
 * the spec, so Playwright's loader never has to load the converter):
 *   npx tsx e2e/support/chat-models.ts   → prints {"scripted": dir, "tiny": dir, "hostile": dir} (cached in os.tmpdir())
 * scripted: greedy output is DEFAULT_SCRIPT (a short thought, then "The answer is \boxed{4}.").
 * tiny: random weights, so it rambles without closing its thought until the token limit: time to stop it or kill
 * the engine mid-stream.
 * hostile: answers with raw HTML, an onerror handler and a javascript: link (the Markdown view must defuse them).
 */
import { scriptedOnnxModel, tinyOnnxModel } from '../../electron/testing/model-folders';

export const CHAT_SCRIPT = 'Let me add.\n</think>\n\nThe answer is \\boxed{4}.';
/** Untrusted output at its worst: raw HTML, an event handler, a javascript: link. The UI must show it as text. */
export const HOSTILE_SCRIPT = 'Checking.\n</think>\n\n<img src=x onerror=alert(1)> [click](javascript:alert(2)) <script>alert(3)</script> \\boxed{7}';

async function main() {
  const scripted = await scriptedOnnxModel(CHAT_SCRIPT);
  const tiny = await tinyOnnxModel('qwen2', 7);
  const hostile = await scriptedOnnxModel(HOSTILE_SCRIPT);
  process.stdout.write(`${JSON.stringify({ scripted, tiny, hostile })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
