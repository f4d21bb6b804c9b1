import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../src/report/index.ts';
import { reportData } from '../unit/report/report-fixture.ts';

/** The go-live report as a reviewer opens it: the file in Debian's Chromium, offline. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

describe('the go-live report in a browser', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'cutover-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the approvals and the chart', async () => {
    const file = join(dir, 'incites-monthly-go-live-report.html');
    writeFileSync(file, buildReportHtml(await reportData()));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    await expect(page.title()).resolves.toBe('Go-live report: incites-monthly');
    const steps = page.locator('#cutover tr.step');
    await expect(steps.count()).resolves.toBe(3);
    const firstApprovals = await steps.nth(0).locator('td.approvals').innerText();
    expect(firstApprovals).toContain('bob (U0BOB)');
    expect(firstApprovals).toContain('carol (U0CAROL)');
    await expect(steps.nth(0).locator('td').nth(1).innerText()).resolves.toBe('done');
    await expect(steps.nth(1).locator('td.approvals').innerText()).resolves.toContain('bob (U0BOB)');
    expect(await page.locator('#cutover').isVisible()).toBe(true);

    const chart = page.locator('#history-chart');
    await chart.scrollIntoViewIfNeeded();
    expect(await chart.isVisible()).toBe(true);
    const size = await chart.evaluate((img: { complete: boolean; naturalWidth: number; naturalHeight: number; getBoundingClientRect(): { width: number } }) => ({ complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, shown: img.getBoundingClientRect().width }));
    expect(size.complete).toBe(true);
    expect(size.w).toBeGreaterThanOrEqual(720);
    expect(size.h).toBeGreaterThan(size.w * 0.9);
    expect(size.shown).toBeGreaterThan(300);
    // Self-contained: the only thing loaded is the file itself (the chart is a data: URI).
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([pathToFileURL(file).href]);
    await page.screenshot({ path: `${ARTIFACTS}go-live-report.png`, fullPage: true });
  }, 60_000);
});
