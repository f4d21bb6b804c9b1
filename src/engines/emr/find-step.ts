import { ListStepsCommand, type EMRClient } from '@aws-sdk/client-emr';

export interface FindStepOptions {
  /** Steps created longer ago than this cannot be a retry of our submit; the search stops there. */
  lookbackMs: number;
  /** Hard cap on ListSteps pages (50 steps each), for clusters with a long step history. */
  maxPages: number;
  now: () => number;
  signal?: AbortSignal;
}

/**
 * Looks for a step by its exact name, newest first. AddJobFlowSteps has no client token, so
 * this lookup is what makes a submit retried after a crash idempotent.
 */
export async function findStepByName(
  client: EMRClient,
  clusterId: string,
  name: string,
  { lookbackMs, maxPages, now, signal }: FindStepOptions,
): Promise<string | undefined> {
  const oldest = now() - lookbackMs;
  let marker: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await client.send(new ListStepsCommand({ ClusterId: clusterId, Marker: marker }), { abortSignal: signal });
    for (const step of out.Steps ?? []) {
      if (step.Name === name && step.Id) return step.Id;
      const created = step.Status?.Timeline?.CreationDateTime;
      // ListSteps is newest first, so once one step is older than the bound, all the rest are too.
      if (created && created.getTime() < oldest) return undefined;
    }
    marker = out.Marker;
    if (!marker) return undefined;
  }
  return undefined;
}
