import { ListStepsCommand, type EMRClient, type Step, type StepState } from '@aws-sdk/client-emr';
import type { Redis } from 'ioredis';
import { PollListing, type Listed } from '../poll-listing.ts';
import { isTerminal } from '../types.ts';
import { mapStepState } from './step-status.ts';
import { callAws } from './to-api-error.ts';

/** The states ListSteps is asked for: a step in any other state has ended. */
const ACTIVE: StepState[] = ['PENDING', 'CANCEL_PENDING', 'RUNNING'];
/** Pages of 50; EMR keeps at most 256 active steps per cluster, so 10 pages always suffice. */
const MAX_PAGES = 10;

/**
 * One active step as stored in Redis: id, name and state, times in epoch ms. No `Args` (the step's
 * command line) and no `StateChangeReason` or `FailureDetails` texts (issue 14 finding 8).
 */
export interface ListedStep {
  id: string;
  name?: string;
  state: string;
  startedAt?: number;
  endedAt?: number;
}

/**
 * Batched polling of EMR steps (issue 17): the active steps of one cluster are read together with
 * `ListSteps {ClusterId, StepStates: [PENDING, CANCEL_PENDING, RUNNING]}` (paged with `Marker`),
 * shared by all workers through Redis (src/engines/poll-listing.ts). A step that is not in the
 * listing has ended (or was added after it): the caller reads it with DescribeStep, which is also
 * where its final state and FailureDetails come from. Groups are cluster ids, items step ids.
 */
export type EmrStepListing = PollListing<ListedStep>;

export function emrStepListing(opts: { redis: Redis; prefix: string; client: EMRClient; freshMs: number; now?: () => number }): EmrStepListing {
  const { client } = opts;
  return new PollListing<ListedStep>({ ...opts, engine: 'emr', list: (clusterId, signal) => list(client, clusterId, signal) });
}

async function list(client: EMRClient, clusterId: string, signal?: AbortSignal): Promise<Listed<ListedStep>> {
  const items: Record<string, ListedStep> = {};
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await callAws(
      'emr',
      'ListSteps',
      () => client.send(new ListStepsCommand({ ClusterId: clusterId, StepStates: ACTIVE, Marker: marker }), { abortSignal: signal }),
      signal,
    );
    for (const step of out.Steps ?? []) {
      const state = step.Status?.State;
      // Ended by the project's own reading of EMR states, whatever the filter let through.
      if (!step.Id || !state || isTerminal(mapStepState(state))) continue;
      const timeline = step.Status?.Timeline;
      items[step.Id] = { id: step.Id, name: step.Name, state, startedAt: timeline?.StartDateTime?.getTime(), endedAt: timeline?.EndDateTime?.getTime() };
    }
    marker = out.Marker;
    if (!marker) return { items, truncated: false };
  }
  return { items, truncated: true };
}

/** The listed step in DescribeStep's shape, for the status mapping both paths share. */
export function toStep(listed: ListedStep): Step {
  const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    Id: listed.id,
    Name: listed.name,
    Status: { State: listed.state as StepState, Timeline: { StartDateTime: date(listed.startedAt), EndDateTime: date(listed.endedAt) } },
  };
}
