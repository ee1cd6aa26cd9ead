/**
 * Shared steps of the chat, compare and models specs: build the test models (the scripted/tiny factories converted
 * by the app's exporter, in a tsx child process), register them with the running server, and drive the chat UI.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect } from '../support/fixtures';
import { repoRoot, serverCall, type ServerHandle } from '../support/server';

export interface ChatModelFolders {
  /** Greedy output: "Let me add.\n</think>\n\nThe answer is \boxed{4}." */
  scripted: string;
  /** Random weights: rambles inside its thought until the token limit (time to stop it or kill the engine). */
  tiny: string;
  /** Answers "<img src=x onerror=alert(1)> [click](javascript:alert(2)) <script>alert(3)</script> \boxed{7}". */
  hostile: string;
}

/** Builds (or reuses, from the os.tmpdir() cache) the two model folders. Can take a minute the first time. */
export function buildChatModels(): ChatModelFolders {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'e2e', 'support', 'chat-models.ts')], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ChatModelFolders;
}

export { serverCall };

/** Adds the scripted and the rambling model under the names the Compare specs pick them by. */
export async function addCompareModels(server: ServerHandle): Promise<void> {
  const folders = buildChatModels();
  await serverCall(server, 'models.add', { path: folders.scripted, name: 'Scripted R1' });
  await serverCall(server, 'models.add', { path: folders.tiny, name: 'Tiny rambler' });
}

/** A copy of a model folder inside the server's data dir, so a test may damage it. */
export function copyModelFolder(from: string, server: ServerHandle, name: string): string {
  const to = path.join(server.home, 'test-models', name);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** Cuts a model's external weights file in half: the kind of damage an interrupted copy leaves. */
export function truncateWeights(folder: string): void {
  const data = path.join(folder, 'onnx', 'model.onnx_data');
  fs.truncateSync(data, Math.floor(fs.statSync(data).size / 2));
}

export async function openChat(page: Page): Promise<void> {
  await page.keyboard.press('Control+1');
  await expect(page.getByRole('region', { name: 'Conversation' })).toBeVisible();
}

/** Picks a model in the Chat toolbar (the screen loads it) and waits until it says what runs it. */
export async function pickModel(page: Page, name: string, scope: Page | Locator = page): Promise<void> {
  await scope.getByRole('combobox').first().selectOption({ label: name });
  await expect(scope.getByTestId('model-state').first()).toContainText(/cpu|webgpu|cuda|dml|coreml/, { timeout: 60_000 });
}

/** Sets generation settings through the popover (values as typed). */
export async function setSettings(page: Page, values: Partial<Record<'Temperature' | 'Max new tokens' | 'Seed' | 'Thinking budget', string>>) {
  await page.getByRole('button', { name: /Settings/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Generation settings' });
  for (const [label, value] of Object.entries(values)) await dialog.getByLabel(label).fill(value);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
}

export async function sendPrompt(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(repoRoot, '.tmp', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** The suite shares one server: leave it as found (no models, no chats) for the specs that follow. */
export async function forgetModelsAndChats(server: ServerHandle): Promise<void> {
  for (const chat of await serverCall(server, 'chats.list')) await serverCall(server, 'chats.delete', { chatId: chat.id });
  for (const model of await serverCall(server, 'models.list')) await serverCall(server, 'models.remove', { modelId: model.id });
}
