import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { CommandDeps } from '../commands/command-deps.ts';
import type { ButtonArgs, InteractionRouter } from './interaction-router.ts';
import { currentVersionOf, resolveApprovers } from '../cutover/evaluate-plan.ts';
import { loadPlan } from '../cutover/load-plan.ts';
import { ACTION_IDS } from '../slack/index.ts';
import { buildRejectModal, readRejectReason, REJECT_MODAL_CALLBACK_ID, REJECT_REASON_BLOCK, REJECT_REASON_REQUIRED } from '../slack/build-reject-modal.ts';
import { describeError } from '../slack/describe-error.ts';
import type { ApproveOutcome, RejectOutcome } from '../store/cutover-store.ts';
import type { CutoverRequest } from '../store/cutover-record.ts';

const OWN_REQUEST = ':no_entry: You made this request: someone else must approve it (four eyes).';

/** What each refused or counted click hears, ephemerally. */
const APPROVE_WORDS: Record<ApproveOutcome, (r: CutoverRequest) => string> = {
  counted: (r) => `:white_check_mark: Your approval is counted: ${r.approvals.length} of ${r.min}.`,
  approved: (r) => `:white_check_mark: Approved (${r.approvals.length} of ${r.min}): step *${r.step}* ${r.kind === 'execute' ? 'executes' : 'rolls back'} now; progress is in the request's thread.`,
  duplicate: () => ':information_source: You have already approved this request; one approval per person.',
  'own-request': () => OWN_REQUEST,
  expired: () => ':alarm_clock: This request has expired; ask again with `/pipeline cutover … request <step>`.',
  void: () => ':warning: The plan changed since this request was made (catalog or evidence), so it is void; ask again to approve the plan as it is now.',
  decided: (r) => `:information_source: This request is already *${r.state}*.`,
};

const REJECT_WORDS: Partial<Record<RejectOutcome, string>> = {
  'own-request': 'You made this request; you cannot reject it (let it expire instead).',
  expired: 'This request has expired.',
  decided: 'This request has already been decided.',
};

/** Whether `user` is one of the step's approvers (a listed user, or in a listed user group). */
async function mayApprove(deps: CommandDeps, r: Pick<CutoverRequest, 'pipeline'>, user: string): Promise<boolean> {
  const config = deps.catalog.pipelines[r.pipeline];
  if (!config) return false;
  return deps.permissions.includes(resolveApprovers(config, deps.catalog.permissions.approve).users, user);
}

/**
 * Approve / Reject on a cutover request, the Reject modal, and App Home's Open. The counting
 * is one Redis script (src/store/cutover-store.ts), so simultaneous clicks count once each and
 * the requester's own click never counts; this layer only checks who may approve at all and
 * the plan version the request was bound to.
 */
export function registerCutoverActions(app: InteractionRouter, deps: CommandDeps): void {
  /**
   * A click on Approve or Reject: acked at once, then the checks both share (known, still
   * pending, not the requester's own, an approver's), each refusal an ephemeral reply.
   */
  const onRequestButton = (actionId: string, ownRequestWords: string, handle: (request: CutoverRequest, body: BlockAction<ButtonAction>, client: ButtonArgs['client']) => Promise<string | undefined>) => {
    app.button(actionId, async ({ body, action, client }, reply) => {
      const request = await deps.cutover.getRequest(action.value ?? '');
      if (!request) return void (await reply(':mag: That request is no longer known to Cutover.'));
      if (request.state !== 'pending') return void (await reply(APPROVE_WORDS.decided(request)));
      // Said first: "you asked for it" is the reason that matters, whether or not they could approve.
      if (request.requestedBy === body.user.id) return void (await reply(ownRequestWords));
      if (!(await mayApprove(deps, request, body.user.id))) return void (await reply(`:no_entry: You are not an approver of ${request.pipeline}'s cutover.`));
      const answer = await handle(request, body, client);
      if (answer) await reply(answer);
    });
  };

  onRequestButton(ACTION_IDS.cutoverApprove, OWN_REQUEST, async (request, body) => {
    const version = currentVersionOf(await loadPlan(deps, request.pipeline), request);
    // Reaching `min` also hands the execution to the workers' intake, in the same write.
    const { outcome, request: after } = await deps.cutover.approve(request.id, body.user.id, body.user.name, version);
    if (outcome === 'approved') deps.crashPoint?.('cutover.approved');
    if (outcome !== 'duplicate' && outcome !== 'own-request' && outcome !== 'decided') await deps.queues.cutoverMessage(after.id);
    return APPROVE_WORDS[outcome](after);
  });

  onRequestButton(ACTION_IDS.cutoverReject, `:no_entry: ${REJECT_WORDS['own-request']}`, async (request, body, client) => {
    await client.views.open({ trigger_id: body.trigger_id, view: buildRejectModal(request) });
    return undefined;
  });

  app.view(REJECT_MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const reason = readRejectReason(view.state.values as Parameters<typeof readRejectReason>[0]);
    if (!reason) return void (await ack(REJECT_REASON_REQUIRED));
    const refuse = (text: string) => ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: text } });
    try {
      const request = await deps.cutover.getRequest(view.private_metadata);
      if (!request) return void (await refuse('That request is no longer known to Cutover.'));
      if (!(await mayApprove(deps, request, body.user.id))) return void (await refuse(`You are not an approver of ${request.pipeline}'s cutover.`));
      const { outcome } = await deps.cutover.reject(request.id, body.user.id, body.user.name, reason);
      if (outcome !== 'rejected') return void (await refuse(REJECT_WORDS[outcome] ?? 'Refused.'));
      await ack();
      await deps.queues.cutoverMessage(request.id);
    } catch (err) {
      deps.logger.error({ err, user: body.user.id }, 'reject submission failed');
      await refuse(describeError(err));
    }
  });
}
