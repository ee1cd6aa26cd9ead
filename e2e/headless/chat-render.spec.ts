/**
 * How replies look: math (KaTeX) with the boxed answer highlighted, highlighted code that copies, the thinking
 * panel's header and folding, "Jump to latest" across chats, and the layout from 800 px wide. Saves screenshots of
 * Chat and Compare in light and dark to .tmp/screenshots.
 */
import type { Page } from '@playwright/test';
import { CONTENT_SECURITY_POLICY } from '../../electron/contract/csp';
import { expect, test } from '../support/fixtures';
import { copyModelFolder, forgetModelsAndChats, openChat, pickModel, screenshot, sendPrompt, serverCall, setSettings } from './chat-helpers';
import { buildRenderModels, clippedControls, visibleText } from './render-helpers';

const MATH = 'Math R1';
const MATH_TWIN = 'Math R1 twin';
const RAMBLER = 'Rambler';
const PYTHON_ANSWER = 'def total(n):\n    return n * (n + 1) // 2';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ server }) => {
  test.setTimeout(900_000);
  const folders = buildRenderModels();
  await serverCall(server, 'models.add', { path: folders.math, name: MATH });
  await serverCall(server, 'models.add', { path: copyModelFolder(folders.math, server, 'math-twin'), name: MATH_TWIN });
  await serverCall(server, 'models.add', { path: folders.rambler, name: RAMBLER });
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

/** The accent colour as the browser resolves it (rgb()), to compare with computed styles. */
const accentColor = (page: Page) =>
  page.locator('body').evaluate((body) => {
    const probe = body.ownerDocument.createElement('span');
    probe.style.color = 'var(--accent)';
    body.append(probe);
    const color = body.ownerDocument.defaultView!.getComputedStyle(probe).color;
    probe.remove();
    return color;
  });

test('a boxed answer in math renders as math with the box highlighted; code is highlighted and copies; the thought folds', async ({ app, server }) => {
  test.setTimeout(240_000);
  await app.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  await openChat(app);
  await pickModel(app, MATH);
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'What is 1 + 2 + … + 10?');

  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  const answer = reply.getByTestId('answer');
  // $\boxed{55}$: KaTeX math, the box drawn in the accent colour, no stray dollar or TeX left in what one reads.
  await expect(answer.locator('.boxed-math .katex .fbox')).toHaveCount(1);
  await expect(answer.locator('.boxed-math .katex-html')).toContainText('55');
  const answerText = await visibleText(answer);
  expect(answerText).toContain('The sum is');
  expect(answerText).not.toMatch(/\$|\\boxed|\\/);
  const boxBorder = await answer.locator('.boxed-math .fbox').evaluate((box) => box.ownerDocument.defaultView!.getComputedStyle(box).borderTopColor);
  expect(boxBorder).toBe(await accentColor(app));
  // The box goes round the number (KaTeX's stylesheet matches the KaTeX that rendered it).
  const frame = (await answer.locator('.boxed-math .fbox').boundingBox())!;
  const number = (await answer.locator('.boxed-math .boxpad').boundingBox())!;
  expect(frame.width).toBeGreaterThanOrEqual(number.width - 1);

  // The code block: language label, highlighted by the lazily loaded highlighter, copied as written.
  const code = answer.getByTestId('code-block');
  await expect(code).toHaveAttribute('data-language', 'python');
  await expect(code.locator('.code-language')).toHaveText('python');
  await expect(code.locator('code[data-highlighted="true"] .hljs-keyword').first()).toHaveText('def');
  await code.getByRole('button', { name: 'Copy code' }).click();
  await expect(code.getByRole('button', { name: 'Copy code' })).toHaveText('Copied');
  expect(await app.evaluate('navigator.clipboard.readText()')).toBe(PYTHON_ANSWER);

  // The thought closed with its figures, the same as the stats line's, and folded when the answer began.
  const thinking = reply.getByTestId('thinking');
  await expect(thinking).toHaveAttribute('data-open', 'false');
  await expect(reply.getByTestId('thinking-text')).toHaveCount(0);
  const header = (await reply.getByTestId('thinking-header').textContent()) ?? '';
  const figures = /^Thought · ([\d.]+ m?s) · (\d+) tokens$/.exec(header);
  expect(figures, header).not.toBeNull();
  await expect(reply.getByTestId('message-stats')).toContainText(`thought ${figures![2]} tok in ${figures![1]}`);

  await thinking.locator('.thinking-toggle').click();
  await expect(thinking).toHaveAttribute('data-open', 'true');
  const thought = reply.getByTestId('thinking-text');
  await expect(thought.locator('.katex').first()).toBeVisible();
  await expect(thought.locator('.katex-display')).toHaveCount(1);
  await expect(thought.getByTestId('code-block')).toHaveAttribute('data-language', 'python');
  expect(await visibleText(thought)).not.toMatch(/\$|\\frac|\\dots/);
  await screenshot(app, 'chat-math-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  // the page switches themes from a media-query listener: read the accent only once the dark theme is applied, or a
  // busy machine reads the light one and the box (already dark) never matches it
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(answer.locator('.boxed-math .fbox')).toHaveCSS('border-top-color', await accentColor(app));
  await screenshot(app, 'chat-math-dark');
  await app.emulateMedia({ colorScheme: 'light' });

  await thinking.locator('.thinking-toggle').click();
  await expect(thinking).toHaveAttribute('data-open', 'false');
  await expect(reply.getByTestId('thinking-text')).toHaveCount(0);
});

test('"Jump to latest" does not follow into another chat', async ({ app }) => {
  await app.setViewportSize({ width: 1280, height: 460 });
  await openChat(app);
  await app.getByTestId('chat-row').first().locator('.chat-row-main').click();
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete');
  const thinking = reply.getByTestId('thinking');
  if ((await thinking.getAttribute('data-open')) === 'false') await thinking.locator('.thinking-toggle').click();
  const list = app.getByTestId('message-list');
  await expect.poll(() => list.evaluate((e) => e.scrollHeight > e.clientHeight + 100)).toBe(true);
  await list.evaluate((e) => e.scrollTo({ top: e.scrollHeight }));
  await list.hover();
  await app.mouse.wheel(0, -2000); // the user scrolls up to read
  await expect(app.getByTestId('jump-latest')).toBeVisible();

  await app.keyboard.press('Control+n'); // an empty chat
  await expect(app.getByRole('heading', { name: 'New chat' })).toBeVisible();
  await expect(app.getByTestId('jump-latest')).toHaveCount(0);

  await app.getByTestId('chat-row').first().locator('.chat-row-main').click(); // back to the long one: at its bottom
  await expect(app.getByTestId('message-assistant')).toHaveCount(1);
  await expect(app.getByTestId('jump-latest')).toHaveCount(0);
  await app.setViewportSize({ width: 1280, height: 800 });
});

test('from 800 px wide: the chat list becomes a drawer and no control is clipped, in Chat and Compare', async ({ app }) => {
  await app.setViewportSize({ width: 800, height: 640 });
  await openChat(app);
  await expect(app.locator('.chat-screen')).toHaveAttribute('data-narrow', 'true');
  await expect(app.getByRole('complementary', { name: 'Chats' })).toHaveCount(0);
  const select = app.getByRole('region', { name: 'Conversation' }).getByRole('combobox', { name: 'Model' });
  expect((await select.boundingBox())!.width).toBeGreaterThanOrEqual(140);
  await expect(app.getByTestId('model-state')).toBeVisible();
  await expect(app.getByRole('button', { name: /Settings/ })).toBeVisible();
  await expect(app.getByRole('textbox', { name: 'Message' })).toBeVisible();
  expect(await clippedControls(app, 'nav a, button, select, textarea, input, [data-testid="model-state"]')).toEqual([]);
  await screenshot(app, 'chat-800-light');

  await app.getByRole('button', { name: 'Show chat list' }).click();
  const drawer = app.getByRole('complementary', { name: 'Chats' });
  await expect(drawer).toBeVisible();
  expect(await clippedControls(app, '.chat-sidebar button')).toEqual([]);
  await drawer.getByTestId('chat-row').first().locator('.chat-row-main').click();
  await expect(drawer).toHaveCount(0);
  await expect(app.getByTestId('message-assistant').first()).toBeVisible();

  await app.keyboard.press('Control+2');
  await expect(app.getByTestId('compare-left')).toBeVisible();
  for (const side of ['compare-left', 'compare-right']) {
    expect((await app.getByTestId(side).getByRole('combobox').boundingBox())!.width).toBeGreaterThanOrEqual(120);
  }
  expect(await clippedControls(app, 'nav a, button, select, textarea, input, [data-testid="model-state"]')).toEqual([]);
  await screenshot(app, 'compare-800-light');
  await app.setViewportSize({ width: 1280, height: 800 });
});

test('Compare shows math in both columns (screenshots in light and dark)', async ({ app }) => {
  test.setTimeout(240_000);
  await app.keyboard.press('Control+2');
  const left = app.getByTestId('compare-left');
  const right = app.getByTestId('compare-right');
  await left.getByRole('combobox').selectOption({ label: MATH });
  await right.getByRole('combobox').selectOption({ label: MATH_TWIN });
  await expect(left.getByTestId('model-state')).toContainText('cpu', { timeout: 60_000 });
  await expect(right.getByTestId('model-state')).toContainText('cpu', { timeout: 60_000 });
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'What is 1 + 2 + … + 10?');
  for (const side of [left, right]) {
    const reply = side.getByTestId('message-assistant');
    await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
    await expect(reply.locator('.boxed-math .fbox')).toHaveCount(1);
  }
  await screenshot(app, 'compare-math-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'compare-math-dark');
  await app.emulateMedia({ colorScheme: 'light' });
});

test('math and code need no inline-style allowance: they render under style-src \'self\' without violations', async ({ app, server }) => {
  // The app's CSP without its style-src-attr 'unsafe-inline': React sets KaTeX's styles through the CSSOM
  // (element.style), which CSP does not govern; KaTeX's HTML is parsed without a DOM; the fonts are files.
  const strict = CONTENT_SECURITY_POLICY.replace(/style-src-attr [^;]*;\s*/, '');
  expect(strict).not.toContain('unsafe-inline');
  const page = await app.context().newPage();
  await page.route(`${server.origin}/**`, async (route) => {
    if (route.request().resourceType() !== 'document') return route.continue();
    const response = await route.fetch();
    const html = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/i, '');
    await route.fulfill({ response, body: html, headers: { ...response.headers(), 'content-security-policy': strict } });
  });
  await page.addInitScript(`window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`);
  const failedFonts: string[] = [];
  page.on('requestfailed', (request) => failedFonts.push(request.url()));
  await page.goto(server.url);
  await page.getByTestId('chat-row').first().locator('.chat-row-main').click();
  const reply = page.getByTestId('message-assistant').last();
  await expect(reply.locator('.boxed-math .fbox')).toBeVisible();
  await reply.getByTestId('thinking').locator('.thinking-toggle').click();
  await expect(reply.getByTestId('thinking-text').locator('.katex-display')).toBeVisible();
  await expect(reply.getByTestId('code-block').last().locator('code[data-highlighted="true"]')).toBeVisible();
  const frame = (await reply.locator('.boxed-math .fbox').boundingBox())!;
  const number = (await reply.locator('.boxed-math .boxpad').boundingBox())!;
  expect(frame.width).toBeGreaterThanOrEqual(number.width - 1);
  await page.evaluate('document.fonts.ready');
  expect(await page.evaluate('[...document.fonts].filter((f) => f.family.includes("KaTeX") && f.status === "loaded").length')).toBeGreaterThan(0);
  // zod probes once whether eval is allowed (new Function in a try) and falls back: a report, not a failure.
  const violations = (await page.evaluate('window.__cspViolations')) as string[];
  expect(violations.filter((v) => !v.startsWith('script-src eval'))).toEqual([]);
  expect(failedFonts).toEqual([]);
  await page.close();
});

test('a long thought streams: live header, each finished block renders once', async ({ app }) => {
  test.setTimeout(300_000);
  await openChat(app);
  await app.keyboard.press('Control+n');
  await pickModel(app, RAMBLER);
  // Far more than the test reads before it presses Stop: on a fast machine a shorter limit ends the reply first.
  await setSettings(app, { Temperature: '0', 'Max new tokens': '32768' });
  const stats = () => app.evaluate('({ ...window.__distilleryRenderStats })') as Promise<{ finishedBlockRenders: number; tailRenders: number }>;
  const before = await stats();
  await sendPrompt(app, 'Think for a long time.');
  const reply = app.getByTestId('message-assistant').last();
  const thought = reply.getByTestId('thinking-text');
  await expect(reply.getByTestId('thinking')).toHaveAttribute('data-open', 'true');
  await expect(reply.getByTestId('thinking-header')).toHaveText(/^Thinking · [\d.]+ m?s · \d+ tokens$/, { timeout: 60_000 });
  await expect.poll(async () => ((await thought.textContent()) ?? '').length, { timeout: 240_000 }).toBeGreaterThan(6000);

  // Each read in one go (one committed state): the blocks on screen and the render counts behind them.
  const renderState = () => thought.evaluate((body) => ({
    blocks: body.querySelectorAll('.md-block').length,
    stats: { ...(body.ownerDocument.defaultView as unknown as { __distilleryRenderStats: { finishedBlockRenders: number; tailRenders: number } }).__distilleryRenderStats },
  }));
  // Every finished block rendered once, the open tail apart.
  const seen = await renderState();
  expect(seen.blocks).toBeGreaterThan(3);
  const finished = seen.stats.finishedBlockRenders - before.finishedBlockRenders;
  expect(finished).toBeGreaterThanOrEqual(seen.blocks - 1);
  expect(finished).toBeLessThanOrEqual(seen.blocks);
  // The open tail re-renders between block boundaries: two reads with the same block count and more tail renders.
  // (Counting tail renders against blocks instead failed on a busy machine, where the adaptive interval stretches
  // and one update can finish a block each time.)
  let previous = await renderState();
  await expect.poll(async () => {
    const now = await renderState();
    const tailOnly = now.blocks === previous.blocks && now.stats.tailRenders > previous.stats.tailRenders;
    previous = now;
    return tailOnly;
  }, { timeout: 60_000, intervals: [50] }).toBe(true);
  await screenshot(app, 'chat-long-thought-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'chat-long-thought-dark');
  await app.emulateMedia({ colorScheme: 'light' });
  // The thought's own scroll box follows its newest line while it streams, until the reader scrolls up in it.
  const fromBottom = () => thought.evaluate((body) => body.scrollHeight - body.scrollTop - body.clientHeight);
  await expect.poll(fromBottom, { timeout: 10_000 }).toBeLessThanOrEqual(48);
  await thought.evaluate((body) => body.scrollTo({ top: 0 }));
  const readFrom = ((await thought.textContent()) ?? '').length;
  await expect.poll(async () => ((await thought.textContent()) ?? '').length, { timeout: 60_000 }).toBeGreaterThan(readFrom + 500);
  expect(await thought.evaluate((body) => body.scrollTop)).toBe(0);
  await app.getByRole('button', { name: 'Stop' }).click();
  await expect(reply).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
  await expect(reply.getByTestId('thinking-header')).toHaveText(/^Thought \(unfinished\) · [\d.]+ m?s · \d+ tokens$/);
});
