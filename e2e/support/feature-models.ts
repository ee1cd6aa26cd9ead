/**
 * Model folders for the chat-features, compare-verdict and vote specs (built like chat-models.ts, through tsx):
 *   npx tsx e2e/support/feature-models.ts → prints {"pelican": dir, "four": dir, "five": dir}
 * pelican: "…The pelican count is \boxed{4}." (a word only this answer has, for search)
 * four: "…So the total is $\boxed{\dfrac{8}{2}}$." (agrees with 4 once normalised)
 * five: "…So it is $\boxed{5}$."
 */
import { scriptedOnnxModel } from '../../electron/testing/model-folders';

export const FEATURE_SCRIPTS = {
  pelican: 'Counting birds.\n</think>\n\nThe pelican count is \\boxed{4}.',
  four: 'Eight halves.\n</think>\n\nSo the total is $\\boxed{\\dfrac{8}{2}}$.',
  five: 'Two and three.\n</think>\n\nSo it is $\\boxed{5}$.',
};

async function main() {
  const entries = await Promise.all(Object.entries(FEATURE_SCRIPTS).map(async ([name, script]) => [name, await scriptedOnnxModel(script)] as const));
  process.stdout.write(`${JSON.stringify(Object.fromEntries(entries))}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
