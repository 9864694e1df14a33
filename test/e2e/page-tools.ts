import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { describeError, type Checks } from './checks.js';

/** A phone-sized viewport: every page is also checked (and photographed) at this width. */
const NARROW = { width: 375, height: 812 };

/** Where pages show ids, names and values that may come as one long token (a subject hash, a UUID, an email). */
const TOKEN_SELECTORS = 'code, dd, td, h1, #signed-in-as strong';
/** One token with no break opportunity at all, longer than a phone screen is wide. */
const UNBREAKABLE = 'Q'.repeat(120);

/**
 * How far the page scrolls sideways now, and once every place that shows an id holds an
 * unbreakable token instead (a subject hash without a `-`, say); the page is put back after.
 */
async function overflowOf(page: Page): Promise<{ asShown: number; withUnbreakableIds: number }> {
  const measure = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';
  const asShown = Number(await page.evaluate(measure));
  // A string, not a function: this project's TypeScript has no DOM types.
  const withUnbreakableIds = Number(
    await page.evaluate(`(() => {
      const elements = [...document.querySelectorAll(${JSON.stringify(TOKEN_SELECTORS)})];
      const saved = elements.map((element) => element.innerHTML);
      for (const element of elements) element.textContent = ${JSON.stringify(UNBREAKABLE)};
      const overflow = ${measure};
      elements.forEach((element, i) => (element.innerHTML = saved[i]));
      return overflow;
    })()`),
  );
  return { asShown, withUnbreakableIds };
}

/**
 * Collects what the browser console reports as errors, with the page it came from. Chromium logs
 * each CSP violation ("Refused to load…", "Refused to send form data…") as a console error.
 */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    // A failure page answers 401 or 403 on purpose, and Chromium logs any 4xx page as a failed load.
    if (/^Failed to load resource: the server responded with a status of 40[13]\b/.test(message.text())) return;
    if (message.type() === 'error' || /content security policy/i.test(message.text())) {
      problems.push(`console ${message.type()} on ${page.url()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  return problems;
}

/** axe-core's browser bundle, evaluated into a page through DevTools (the app's CSP allows no script of its own). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.1 A and AA, and axe's best practices (among them `region`: all content inside landmarks). */
const AXE_RUN = `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
  .then((result) => result.violations.map((v) => v.id + ' (' + v.nodes.length + ': ' + v.nodes[0].target.join(' ') + ')'))`;

/** The axe rules `page` breaks, at the current viewport. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return (await page.evaluate(AXE_RUN)) as string[];
}

/** Takes the numbered screenshots of a run and checks each page fits a phone screen. */
export class Camera {
  private taken = 0;

  constructor(
    private readonly dir: string,
    private readonly root: string,
    private readonly checks: Checks,
    /** Pages of this origin (the example app's, not the emulators') are also checked with axe. */
    private readonly axeOrigin?: string,
  ) {}

  /**
   * Saves `NN-name.png` (full page at the current viewport) and `narrow/NN-name.png` (phone width),
   * and checks the page does not scroll sideways at phone width. A failed screenshot is a failed
   * check, not the end of the flow.
   */
  async shoot(page: Page, name: string): Promise<void> {
    const file = `${String(++this.taken).padStart(2, '0')}-${name}.png`;
    try {
      const wide = page.viewportSize();
      await mkdir(join(this.dir, 'narrow'), { recursive: true });
      await page.screenshot({ path: join(this.dir, file), fullPage: true });
      await page.setViewportSize(NARROW);
      const overflow = await overflowOf(page);
      const audited = this.axeOrigin !== undefined && new URL(page.url()).origin === this.axeOrigin;
      const narrowViolations = audited ? await axeViolations(page) : [];
      await page.screenshot({ path: join(this.dir, 'narrow', file), fullPage: true });
      if (wide) await page.setViewportSize(wide);
      console.log(`     saved ${relative(this.root, join(this.dir, file))} (and narrow/${file})`);
      this.checks.expect(
        `${name}: fits a ${NARROW.width} px wide screen without sideways scrolling`,
        overflow.asShown <= 0,
        `${overflow.asShown} px too wide`,
      );
      if (audited) {
        const wideViolations = await axeViolations(page);
        const both = [...new Set([...wideViolations, ...narrowViolations.map((v) => `${v} at ${NARROW.width} px`)])];
        this.checks.expect(
          `${name}: passes axe (WCAG 2.1 A and AA, best practices) wide and at ${NARROW.width} px`,
          both.length === 0,
          both.join('; '),
        );
      }
      this.checks.expect(
        `${name}: still fits at ${NARROW.width} px with ids and names that cannot break (${TOKEN_SELECTORS})`,
        overflow.withUnbreakableIds <= 0,
        `${overflow.withUnbreakableIds} px too wide`,
      );
    } catch (err) {
      this.checks.expect(`${name}: screenshot ${file} saved`, false, describeError(err));
    }
  }
}

/** How long a read waits for its element: the page has loaded by then, so a missing one should fail fast. */
const READ_LIMIT_MS = 3_000;

/** The visible text of `selector`, white space collapsed; null when there is no such element (the check then fails). */
export async function textOf(page: Page, selector: string): Promise<string | null> {
  try {
    return (await page.locator(selector).innerText({ timeout: READ_LIMIT_MS })).replace(/\s+/g, ' ').trim();
  } catch {
    return null;
  }
}

/** The attribute `name` of `selector`; null when absent or when there is no such element. */
export async function attributeOf(page: Page, selector: string, name: string): Promise<string | null> {
  try {
    return await page.locator(selector).getAttribute(name, { timeout: READ_LIMIT_MS });
  } catch {
    return null;
  }
}
