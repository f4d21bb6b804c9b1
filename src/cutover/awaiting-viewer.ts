import type { CutoverRequest } from '../store/cutover-record.ts';

/**
 * The pending requests a person could act on now: not their own, not already approved by
 * them, not expired, and (by the caller's check, which may need Slack for user groups) one
 * they may approve. For the App Home board.
 */
export async function requestsAwaiting(
  requests: readonly CutoverRequest[],
  viewer: string,
  mayApprove: (request: CutoverRequest) => boolean | Promise<boolean>,
  now: number,
): Promise<CutoverRequest[]> {
  const open = requests.filter(
    (r) => r.state === 'pending' && r.expiresAt > now && r.requestedBy !== viewer && !r.approvals.some((a) => a.user === viewer),
  );
  const allowed = await Promise.all(open.map((r) => mayApprove(r)));
  return open.filter((_, i) => allowed[i]);
}
