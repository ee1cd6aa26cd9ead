/** Builds and registers the models of the chat-features, compare-verdict and vote specs. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from '../support/fixtures';
import { repoRoot, serverCall, type ServerHandle } from '../support/server';
import { forgetModelsAndChats } from './chat-helpers';

export const MODEL_NAMES = { pelican: 'Pelican counter', four: 'Eight halves', five: 'Says five' } as const;

export async function addFeatureModels(server: ServerHandle): Promise<void> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'e2e', 'support', 'feature-models.ts')], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const folders = JSON.parse(out.trim().split('\n').pop()!) as Record<keyof typeof MODEL_NAMES, string>;
  for (const key of Object.keys(MODEL_NAMES) as (keyof typeof MODEL_NAMES)[]) {
    await serverCall(server, 'models.add', { path: folders[key], name: MODEL_NAMES[key] });
  }
}

/** The feature models for a whole spec file, and afterwards no comparison, model or chat left on the shared server. */
export function useFeatureModels(): void {
  test.beforeAll(async ({ server }) => {
    test.setTimeout(360_000);
    await addFeatureModels(server);
  });
  test.afterAll(async ({ server }) => {
    for (const session of await serverCall(server, 'compare.list')) await serverCall(server, 'compare.delete', { sessionId: session.id });
    await forgetModelsAndChats(server);
  });
}
