import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../src/cli/report-command.ts';
import { PII_LOG_CENSOR } from '../../src/pii/log-redaction.ts';
import { AuditLog } from '../../src/store/audit-log.ts';
import { keyspace } from '../../src/store/redis.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../helpers/redis.ts';

/**
 * Issue 16 item 5, "PII stays protected": the go-live report built from the bot's Redis (the same
 * builder `/pipeline report` uses) shows the audit trail, but never the sample values some of its
 * events carry (`samples`, `keySamples`, `csv`), as the logs never do.
 */
const redis = testRedis();
const prefix = uniquePrefix('report-pii');
const dir = mkdtempSync(join(tmpdir(), 'cutover-report-pii-'));
const catalogFile = join(dir, 'catalog.yaml');

beforeAll(async () => {
  writeFileSync(catalogFile, 'pipelines:\n  customers-monthly:\n    channel: C0CUST\n    target: { engine: databricks, jobId: 42 }\n');
  const audit = new AuditLog(redis, keyspace(prefix));
  const at = Date.UTC(2026, 5, 1);
  await audit.append({ at, actor: 'cutover', pipeline: 'customers-monthly', action: 'dq.failed', subject: '2026-05', after: { failing: [{ output: 'customers', check: 'email_format', failingRows: 1, samples: [{ email: 'jane.doe@example.com' }] }] } });
  await audit.append({ at: at + 1, actor: 'cutover', pipeline: 'customers-monthly', action: 'parallel.diff', subject: 'p-1', after: { outputs: { customers: { keySamples: [{ customer_id: 'SSN-123-45-6789' }], csv: 'email\njohn.roe@example.com\n', changed: 2 } } } });
});

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('cutover report', () => {
  it('shows the audit trail with its sample values replaced', async () => {
    let html = '';
    const code = await runReportCommand(['--catalog', catalogFile, '--pipeline', 'customers-monthly'], {
      stdout: { write: (t: string) => (html += t) },
      stderr: { write: () => true },
      env: { REDIS_URL, CUTOVER_REDIS_PREFIX: prefix },
    });
    expect(code).toBe(0);
    expect(html).toContain('<td>dq.failed</td>');
    expect(html).toContain('<td>parallel.diff</td>');
    expect(html).toContain('email_format'); // what failed is there…
    expect(html).toContain('&quot;changed&quot;:2');
    for (const value of ['jane.doe@example.com', 'SSN-123-45-6789', 'john.roe@example.com']) expect(html).not.toContain(value); // …the values are not
    expect(html.split(`&quot;${PII_LOG_CENSOR}&quot;`)).toHaveLength(4);
  });
});
