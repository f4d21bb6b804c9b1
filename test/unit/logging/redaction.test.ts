import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../../../src/config/index.ts';
import { withDuckDb } from '../../../src/diff/index.ts';
import { createLogger } from '../../../src/logger.ts';

/** A logger writing JSON lines into `lines`, as the app builds it from the config. */
function capture(secrets: readonly string[]) {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  return { logger: createLogger({ level: 'info', secrets, destination }), lines };
}

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken';

describe('secrets never reach a log line', () => {
  it('finding 23: the AWS secret key and session token from the environment are redacted', () => {
    const config = loadConfig({ env: { AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' } });
    const { logger, lines } = capture(secretsOf(config));
    logger.error({ err: new Error(`S3 refused: key ${SECRET_KEY}`), detail: { token: `t=${SESSION_TOKEN}` } }, `credentials ${SECRET_KEY} / ${SESSION_TOKEN}`);
    const out = lines.join('');
    expect(out).toContain('[REDACTED]');
    expect(out).not.toContain(SECRET_KEY);
    expect(out).not.toContain(SESSION_TOKEN);
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('finding 23: a DuckDB error about a CREATE SECRET statement never quotes the credentials', async () => {
    // A statement DuckDB cannot parse: its error echoes the statement line, credentials included.
    const err = await withDuckDb({}, (db) => db.run(`CREATE OR REPLACE SECRET cutover_s3 (TYPE s3, KEY_ID 'AKIAIOSFODNN7EXAMPLE' SECRET '${SECRET_KEY}', SESSION_TOKEN '${SESSION_TOKEN}')`)).then(
      () => new Error('expected DuckDB to refuse the statement'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/^Parser Error: syntax error/);
    expect(err.message).not.toContain(SECRET_KEY);
    expect(err.message).not.toContain(SESSION_TOKEN);
    const { logger, lines } = capture([]);
    logger.warn({ sql: `CREATE SECRET x (TYPE s3, SECRET '${SECRET_KEY}', SESSION_TOKEN '${SESSION_TOKEN}')` }, 'statement failed');
    expect(lines.join('')).not.toMatch(/wJalr|IQoJ/);
  });
});
