import { describe, expect, it } from 'vitest';
import { mapDagRunState, mapTaskState } from '../../../src/engines/airflow/index.ts';
import { errorLine, parseLogBody } from '../../../src/engines/airflow/log-lines.ts';

describe('parseLogBody', () => {
  it('reads Airflow 3 structured events, skipping group markers and rendering error_detail as a traceback', () => {
    const body = JSON.stringify({
      content: [
        { event: '::group::Log message source details', sources: ['/logs/dag_id=x/attempt=1.log'] },
        { event: '::endgroup::' },
        { timestamp: '2026-07-01T00:00:01Z', level: 'info', event: 'starting' },
        {
          timestamp: '2026-07-01T00:00:02Z',
          level: 'error',
          event: 'Task failed with exception',
          error_detail: [{ exc_type: 'ValueError', exc_value: 'boom', frames: [{ filename: '/dags/x.py', lineno: 7, name: 'run' }] }],
        },
      ],
      continuation_token: null,
    });
    expect(parseLogBody(body, 'application/json')).toEqual([
      '[2026-07-01T00:00:01Z] INFO - starting',
      '[2026-07-01T00:00:02Z] ERROR - Task failed with exception',
      'Traceback (most recent call last):',
      '  File "/dags/x.py", line 7, in run',
      'ValueError: boom',
    ]);
  });

  it('reads plain text, v1 JSON content and v2 lists of strings', () => {
    expect(parseLogBody('a\r\nb\n', 'text/plain; charset=utf-8')).toEqual(['a', 'b']);
    expect(parseLogBody(JSON.stringify({ content: 'a\nb', continuation_token: null }), 'application/json')).toEqual(['a', 'b']);
    expect(parseLogBody(JSON.stringify({ content: ['a', 'b\nc'] }), 'application/json')).toEqual(['a', 'b', 'c']);
  });

  it('errorLine picks the last line naming an error type', () => {
    expect(errorLine(['x', 'KeyError: a', 'ValueError: b', 'Marking task as FAILED.'])).toBe('ValueError: b');
    expect(errorLine(['all good'])).toBeUndefined();
  });
});

describe('airflow state mapping', () => {
  it.each([
    ['queued', 'pending'],
    ['running', 'running'],
    ['success', 'succeeded'],
    ['failed', 'failed'],
  ])('DAG run %s → %s', (state, expected) => {
    expect(mapDagRunState(state)).toBe(expected);
  });

  it.each([
    [null, 'pending'],
    ['scheduled', 'pending'],
    ['queued', 'pending'],
    ['running', 'running'],
    ['up_for_retry', 'running'],
    ['up_for_reschedule', 'running'],
    ['deferred', 'running'],
    ['success', 'succeeded'],
    ['failed', 'failed'],
    ['upstream_failed', 'failed'],
    ['skipped', 'cancelled'],
    ['removed', 'cancelled'],
  ])('task %s → %s', (state, expected) => {
    expect(mapTaskState(state)).toBe(expected);
  });
});
