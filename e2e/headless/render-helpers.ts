/** Builds (or reuses, from the os.tmpdir() cache) the rendering specs' scripted models, in a tsx child process. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { repoRoot } from '../support/server';

export interface RenderModelFolders {
  /** Thinks in LaTeX with a code block, answers "The sum is $\boxed{55}$." and a python block. */
  math: string;
  /** Thinks XSS_PAYLOADS_A, answers XSS_PAYLOADS_B. */
  xssA: string;
  /** Thinks XSS_PAYLOADS_B, answers XSS_PAYLOADS_A. */
  xssB: string;
  /** Random weights: thinks until the token limit. */
  rambler: string;
}

export function buildRenderModels(): RenderModelFolders {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'e2e', 'support', 'render-models.ts')], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 900_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as RenderModelFolders;
}

/** The text a reader sees in a rendered reply: KaTeX's MathML copy (for screen readers, clipped away) left out. */
export async function visibleText(scope: Locator): Promise<string> {
  return scope.evaluate((element) => {
    const copy = element.cloneNode(true) as typeof element;
    for (const math of copy.querySelectorAll('.katex-mathml')) math.remove();
    return copy.textContent ?? '';
  });
}

/** Boxes of the given controls that are cut off by the window or by an ancestor that clips (overflow hidden/auto). */
export async function clippedControls(page: Page, selector: string): Promise<string[]> {
  return page.locator('body').evaluate((body, sel) => {
    const problems: string[] = [];
    const win = body.ownerDocument.defaultView!;
    const viewport = { width: win.innerWidth, height: win.innerHeight };
    for (const element of body.querySelectorAll(sel)) {
      const box = element.getBoundingClientRect();
      const name = element.getAttribute('aria-label') ?? element.textContent?.trim().slice(0, 30) ?? element.tagName;
      if (box.width === 0 || box.height === 0) continue; // not shown at all (asserted separately where it matters)
      if (box.left < 0 || box.top < 0 || box.right > viewport.width + 0.5 || box.bottom > viewport.height + 0.5) {
        problems.push(`${name}: outside the window (${Math.round(box.left)},${Math.round(box.top)} ${Math.round(box.width)}×${Math.round(box.height)})`);
        continue;
      }
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        const style = win.getComputedStyle(parent);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const clip = parent.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) {
          problems.push(`${name}: clipped by ${parent.className || parent.tagName}`);
          break;
        }
      }
    }
    return problems;
  }, selector);
}
