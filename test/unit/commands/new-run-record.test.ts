import { describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { UsageError } from '../../../src/errors.ts';
import { pipelineOf } from '../checks/helpers.ts';

/** Issue 14 finding 1: a run is refused as it is typed when a value would take an output's path out of its folder. */
describe('newRunRecord', () => {
  const pipeline = { ...pipelineOf({ name: 'orders', target: 's3://bucket/out/{{param.region}}/orders/' }), params: { region: {} } };
  const make = (region: string) => newRunRecord({ pipelineName: 'sales', pipeline, side: 'target', period: '2026-01', params: { region }, env: 'dev', requestedBy: 'U0ALICE', now: Date.UTC(2026, 1, 1) });

  it('records the params of a value that stays inside the output folder', () => {
    expect(make('eu').params).toEqual({ region: 'eu' });
  });

  it('refuses a value that climbs out of an output path, naming the path, before any run exists', () => {
    for (const region of ['..', '../secret', 'eu/../../secret']) {
      expect(() => make(region), region).toThrow(UsageError);
      expect(() => make(region), region).toThrow(/leave "s3:\/\/bucket\/out\/": "\.\." is not allowed/);
    }
  });
});
