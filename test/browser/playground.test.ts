import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlaygroundProcess, type PlaygroundProcess } from './playground-process.ts';

/**
 * The playground in a real browser (Debian's Chromium driven by playwright-core): the page
 * sends what a person does as signed Slack requests to the real app, and shows what the app
 * posts to the playground's Slack emulator. Screenshots go to test/artifacts/; with
 * UPDATE_SCREENSHOTS=1 the first one also becomes docs/playground.png (the README's).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DOCS_SHOT = fileURLToPath(new URL('../../docs/playground.png', import.meta.url));
const WAIT = 30_000;

describe('the playground in a browser', () => {
  let playground: PlaygroundProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    playground = await startPlaygroundProcess();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Block Kit `confirm` objects are the page's own dialog with the formatted text, never a bare window.confirm.
    page.on('dialog', (dialog) => void dialog.dismiss().then(() => expect.fail(`unexpected browser dialog: ${dialog.message()}`)));
    await page.goto(playground.url);
    await page.locator('#channels a', { hasText: 'pipelines' }).waitFor();
  }, 60_000);

  // A failed step leaves a picture of the page behind, named after the step.
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      await page?.screenshot({ path: `${ARTIFACTS}failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png` });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
  });

  const as = (user: string) => page.selectOption('#user', user);
  const type = async (text: string) => {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  };
  /** Top-level messages in the channel (not broadcast thread replies, not ephemerals). */
  const channelMessage = (...texts: Array<string | RegExp>): Locator => texts.reduce((l, t) => l.filter({ hasText: t }), page.locator('#messages .message:not([data-thread-ts]):not(.ephemeral)'));
  const openThread = async (message: Locator) => {
    await message.locator('[data-open-thread]').click();
    await page.locator('#thread').waitFor();
  };
  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}playground-${name}.png` });
  /** Approve asks first, as Slack does: the dialog shows the confirm object's title and formatted text. */
  const approve = async (request: Locator) => {
    await request.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#confirm').waitFor();
    expect(await page.locator('#confirm-title').innerText()).toBe('Approve this step?');
    expect(await page.locator('#confirm-text b').count()).toBeGreaterThan(0); // *step* rendered bold, not as asterisks
    expect(await page.locator('#confirm-text').innerText()).not.toContain('*');
    await page.click('#confirm-ok');
    await page.locator('#confirm').waitFor({ state: 'hidden' });
  };

  it('runs /pipeline parallel to its final state and shows the planted difference', async () => {
    await as('U0ALICE');
    await type('/pipeline parallel revenue-monthly');
    await page.locator('#messages .message.ephemeral', { hasText: 'Parallel run' }).waitFor({ timeout: WAIT });

    const parallel = channelMessage('revenue-monthly ·', 'parallel');
    await parallel.filter({ hasText: 'different' }).waitFor({ timeout: WAIT });
    const summary = await parallel.innerText();
    expect(summary).toMatch(/succeeded[\s\S]*succeeded/); // both runs ended well
    expect(summary).toContain('revenue differs');
    expect(summary).toContain('amount');
    // Issue 16: the sandbox hands out plausible costs a few seconds after the runs, as billing would.
    await parallel.filter({ hasText: /cost: legacy \$\d+\.\d\d vs Databricks \$\d+\.\d\d/ }).waitFor({ timeout: WAIT });
    expect(await parallel.innerText()).toContain('simulated by the playground sandbox');

    await openThread(parallel);
    const thread = page.locator('#thread-replies');
    await thread.locator('.message', { hasText: 'values differ): 3' }).waitFor({ timeout: WAIT });
    await thread.locator('a.attachment', { hasText: 'mismatches.csv' }).waitFor({ timeout: WAIT });
    await thread.locator('a.attachment', { hasText: 'diff.json' }).waitFor({ timeout: WAIT });
    const details = await thread.innerText();
    expect(details).toContain('amount');
    for (const order of [7, 42, 137]) expect(details).toContain(`order_id=${order}`); // the planted orders
    await shot('parallel-diff');
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}playground-parallel-diff.png`, DOCS_SHOT);
  }, 90_000);

  it('repairs a run that failed with --param fail=transform', async () => {
    await as('U0ALICE');
    await type('/pipeline run orders-monthly --param fail=transform');
    const started = page.locator('#messages .message.ephemeral', { hasText: 'Starting run' }).last();
    await started.waitFor({ timeout: WAIT });
    const runId = /r-[a-z0-9]+-[a-f0-9]+/.exec(await started.innerText())?.[0];
    expect(runId).toBeTruthy();

    const status = channelMessage(runId!);
    await status.filter({ hasText: 'failed' }).waitFor({ timeout: WAIT });
    const alert = page.locator('#messages .message[data-thread-ts]', { hasText: 'transform' }).filter({ hasText: 'planned failure' });
    await alert.getByRole('button', { name: 'Repair failed tasks' }).click();

    await status.filter({ hasText: 'Repaired 1 time' }).filter({ hasText: /succeeded/ }).waitFor({ timeout: WAIT });
    expect(await status.innerText()).not.toMatch(/\bfailed\b/);
    await openThread(status);
    // The click's ephemeral answer lands in the thread the button was in, as in Slack.
    await page.locator('#thread-replies .message.ephemeral', { hasText: 'Repair of' }).waitFor({ timeout: WAIT });
    await page.locator('#thread-replies .message', { hasText: /repair #1 .* finished/ }).waitFor({ timeout: WAIT });
    // Issue 15 item 4: the alert itself says how it ended and has no buttons left to click.
    const closed = page.locator('#messages .message[data-thread-ts]', { hasText: 'orders-monthly' }).filter({ hasText: 'Resolved' });
    await closed.filter({ hasText: 'repaired and succeeded (repair #1)' }).waitFor({ timeout: WAIT });
    expect(await closed.getByRole('button').count()).toBe(0);
    expect(await closed.innerText()).not.toContain('planned failure');
    await shot('repair');
  }, 90_000);

  // Depends on the DQ alert threads (issue 4): the DQ job opens one after a parallel run's checks fail.
  it('opens a DQ failure alert thread when the checks of a run fail', async () => {
    await as('U0ALICE');
    await type('/pipeline parallel customers-monthly');
    await channelMessage('customers-monthly ·', 'parallel').filter({ hasText: 'different' }).waitFor({ timeout: WAIT });

    const dqAlert = page.locator('#messages .message', { hasText: 'DQ failing' }).filter({ hasText: 'customers-monthly' }).filter({ has: page.getByRole('button', { name: 'Re-run checks' }) });
    await dqAlert.waitFor({ timeout: WAIT });
    const text = await dqAlert.innerText();
    expect(text).toContain('not_null(customer_id)');
    for (const order of [7, 42, 137]) expect(text).toContain(`order_id=${order}, customer_id=NULL`); // the planted nulls
    await shot('dq-alert');

    await dqAlert.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => dqAlert.getByRole('button', { name: 'Acknowledge' }).count(), { timeout: WAIT }).toBe(0);
  }, 90_000);

  // Depends on cutover approvals (issue 5): a request message with Approve/Reject, two approvers needed.
  it('executes a cutover step once two playground users approve it, and takes a rejection reason in a modal', async () => {
    await as('U0ALICE');
    await type('/pipeline parallel orders-monthly');
    await channelMessage('orders-monthly ·', 'parallel').filter({ hasText: 'clean' }).waitFor({ timeout: WAIT });

    await type('/pipeline cutover orders-monthly request parallel-clean');
    const request = channelMessage('Approval needed', 'parallel-clean');
    await request.getByRole('button', { name: 'Approve' }).waitFor({ timeout: WAIT });

    // The parallel run that counts for the gate is linked; the link opens it here, not a dead tab on a Slack host.
    const opened: Page[] = [];
    page.context().on('page', (p) => opened.push(p));
    await request.locator('a[href*="/archives/"]').first().click();
    await page.locator('#messages .message.highlight', { hasText: 'orders-monthly ·' }).waitFor({ timeout: WAIT });
    await page.locator('#thread-parent', { hasText: 'orders-monthly ·' }).waitFor({ timeout: WAIT }); // its thread (the diff details) opens too
    expect(new URL(page.url()).pathname).toBe('/');
    expect(opened).toEqual([]);

    // The requester cannot approve their own request: an ephemeral says why.
    const refusals = page.locator('#messages .message.ephemeral');
    const before = await refusals.count();
    await approve(request);
    await expect.poll(() => refusals.count(), { timeout: WAIT }).toBeGreaterThan(before);

    await as('U0BOB');
    await approve(request);
    await request.filter({ hasText: /1 of 2/ }).waitFor({ timeout: WAIT });
    await as('U0CAROL');
    await approve(request);
    const decided = channelMessage('Cutover request', 'parallel-clean');
    // Issue 15 item 4: the request ends on what became of it, not "the step executes now".
    await decided.filter({ hasText: 'executed' }).waitFor({ timeout: WAIT });
    expect(await decided.innerText()).not.toContain('executes now');
    expect(await decided.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await shot('cutover-approved');

    await as('U0ALICE');
    await type('/pipeline cutover orders-monthly request switch-primary');
    const next = channelMessage('Approval needed', 'switch-primary');
    await as('U0BOB');
    await next.getByRole('button', { name: 'Reject' }).click({ timeout: WAIT });
    await page.locator('#modal', { hasText: 'Reject cutover step' }).waitFor({ timeout: WAIT });
    await page.fill('#modal-body textarea', 'Wait for the month-end close.');
    await shot('reject-modal');
    await page.click('#modal-submit');
    await page.locator('#modal').waitFor({ state: 'hidden', timeout: WAIT });
    await channelMessage('Cutover request', 'switch-primary').filter({ hasText: 'rejected' }).filter({ hasText: 'month-end close' }).waitFor({ timeout: WAIT });
  }, 120_000);
});

describe('stopping the playground', () => {
  it('exits 0 on Ctrl-C after starting its own Redis, and leaves no Redis folder or connection errors behind', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'cutover-ctrl-c-'));
    try {
      // Nothing answers on port 1, so the playground starts its own redis-server (in TMPDIR).
      const playground = await startPlaygroundProcess({ env: { REDIS_URL: 'redis://127.0.0.1:1', TMPDIR: scratch }, ownGroup: true });
      expect(readdirSync(scratch).filter((f) => f.startsWith('cutover-playground-redis-'))).toHaveLength(1);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        await page.goto(playground.url);
        await page.locator('#channels a', { hasText: 'pipelines' }).waitFor();
        await page.fill('#composer-input', '/pipeline run orders-monthly');
        await page.press('#composer-input', 'Enter');
        await page.locator('#messages .message.ephemeral', { hasText: 'Starting run' }).waitFor({ timeout: WAIT });
        const code = await playground.interrupt();
        expect(code).toBe(0);
        expect(readdirSync(scratch).filter((f) => f.startsWith('cutover-playground-redis-'))).toEqual([]);
        expect(playground.output.filter((line) => line.includes('ECONNREFUSED'))).toEqual([]);
      } finally {
        await browser.close();
        await playground.stop();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 90_000);
});
