/**
 * Hostile model output, 34 payloads (e2e/support/xss-payloads.ts), each shown once in a thought and once in an
 * answer: raw HTML, handlers, script URLs, resource loads, mutation-XSS, KaTeX's \href/\url/\includegraphics/\html…
 * and code blocks breaking out of their fence. Nothing runs (no dialog, no page error), no request leaves the app's
 * server, and only allow-listed elements and attributes appear in the rendered reply.
 */
import type { Page } from '@playwright/test';
import { ALLOWED_ELEMENTS, XSS_PAYLOADS_A, XSS_PAYLOADS_B } from '../support/xss-payloads';
import { expect, test } from '../support/fixtures';
import { forgetModelsAndChats, openChat, pickModel, sendPrompt, serverCall, setSettings } from './chat-helpers';
import { buildRenderModels } from './render-helpers';

const MODELS = [
  { name: 'Hostile A', thinks: XSS_PAYLOADS_A, answers: XSS_PAYLOADS_B },
  { name: 'Hostile B', thinks: XSS_PAYLOADS_B, answers: XSS_PAYLOADS_A },
];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ server }) => {
  test.setTimeout(900_000);
  const folders = buildRenderModels();
  await serverCall(server, 'models.add', { path: folders.xssA, name: MODELS[0].name });
  await serverCall(server, 'models.add', { path: folders.xssB, name: MODELS[1].name });
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

/** What in a rendered reply is outside the allow-list: elements, handlers, URLs, loads, ids and classes from the text. */
async function violations(page: Page, testId: string): Promise<string[]> {
  return page.getByTestId(testId).last().evaluate((root, allowed) => {
    const found: string[] = [];
    for (const element of root.querySelectorAll('*')) {
      const tag = element.tagName.toLowerCase();
      if (!allowed.includes(tag)) found.push(`element <${tag}>`);
      for (const { name, value } of element.attributes) {
        if (name.startsWith('on')) found.push(`<${tag} ${name}>`);
        if (['src', 'srcset', 'srcdoc', 'action', 'formaction', 'data', 'poster', 'background', 'xlink:href'].includes(name)) found.push(`<${tag} ${name}="${value}">`);
        if (name === 'href' && !/^https?:\/\//i.test(value)) found.push(`<${tag} href="${value}">`);
        if (name === 'style' && /url\(|expression|javascript/i.test(value)) found.push(`<${tag} style="${value}">`);
        if ((name === 'id' || name === 'class') && /\bevil\b/.test(value)) found.push(`<${tag} ${name}="${value}">`);
        if (name.startsWith('data-') && !['data-testid', 'data-language', 'data-highlighted', 'data-boxed'].includes(name)) found.push(`<${tag} ${name}>`);
      }
    }
    return found;
  }, [...ALLOWED_ELEMENTS]);
}

for (const model of MODELS) {
  test(`${model.name}: ${model.thinks.length} payloads in the thought and ${model.answers.length} in the answer stay inert`, async ({ app, server }) => {
    test.setTimeout(300_000);
    const dialogs: string[] = [];
    const errors: string[] = [];
    const requests: string[] = [];
    app.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    app.on('pageerror', (error) => errors.push(error.message));
    app.on('request', (request) => requests.push(request.url()));

    await openChat(app);
    await app.keyboard.press('Control+n');
    await pickModel(app, model.name);
    await setSettings(app, { Temperature: '0' });
    await sendPrompt(app, 'Say something nasty.');
    const reply = app.getByTestId('message-assistant').last();
    await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 240_000 });
    const thinking = reply.getByTestId('thinking');
    await thinking.locator('.thinking-toggle').click();
    await expect(thinking).toHaveAttribute('data-open', 'true');

    const answer = reply.getByTestId('answer');
    const thought = reply.getByTestId('thinking-text');
    // The raw HTML shows as the text the model wrote (a sample from each side), math as KaTeX, code in code blocks.
    for (const [scope, payloads] of [[thought, model.thinks], [answer, model.answers]] as const) {
      const html = payloads.find((p) => p.startsWith('<') && !p.startsWith('<math'))!;
      await expect(scope).toContainText(html.replace(/\s+/g, ' '));
      await expect(scope.locator('.katex').first()).toBeVisible();
      await expect(scope.getByTestId('code-block').first()).toBeVisible();
      // \href (in both halves) renders as KaTeX's red "not trusted" text, not as a link
      await expect(scope.locator('.katex-html').filter({ hasText: '\\href' }).first()).toBeVisible();
    }
    // Give anything that would fire late (handlers, refresh, lazy loads) the chance to.
    await app.mouse.move(200, 300);
    await answer.hover();
    await thought.hover();
    await app.waitForTimeout(1000);

    expect(await violations(app, 'answer')).toEqual([]);
    expect(await violations(app, 'thinking-text')).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(`${server.origin}/`))).toEqual([]);
    expect(requests.filter((url) => url.includes('invalid'))).toEqual([]);
    expect(app.url()).toContain(server.origin);
  });
}
