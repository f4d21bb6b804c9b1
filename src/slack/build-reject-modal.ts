import type { ModalView } from '@slack/types';
import type { CutoverRequest } from '../store/cutover-record.ts';
import { escapeMrkdwn } from './format.ts';
import { truncateText } from './limits.ts';

/** `callback_id` of the Reject modal; its `private_metadata` is the request id. */
export const REJECT_MODAL_CALLBACK_ID = 'cutover_reject_modal';
/** block_id / action_id of the reason input, to read it back from `view.state.values`. */
export const REJECT_REASON_BLOCK = 'reason';
export const REJECT_REASON_ACTION = 'reason_input';

/** Opened by the Reject button: a rejection always says why, for the requester and the audit trail. */
export function buildRejectModal(r: Pick<CutoverRequest, 'id' | 'pipeline' | 'step' | 'kind' | 'requestedBy'>): ModalView {
  const what = r.kind === 'execute' ? 'execute' : 'roll back';
  return {
    type: 'modal',
    callback_id: REJECT_MODAL_CALLBACK_ID,
    private_metadata: r.id,
    title: { type: 'plain_text', text: 'Reject cutover step' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: truncateText(`Reject <@${r.requestedBy}>'s request to ${what} *${escapeMrkdwn(r.step)}* of *${escapeMrkdwn(r.pipeline)}*?`, 3000) },
      },
      {
        type: 'input',
        block_id: REJECT_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        hint: { type: 'plain_text', text: 'Shown in the channel and kept in the audit trail.' },
        element: { type: 'plain_text_input', action_id: REJECT_REASON_ACTION, multiline: true, min_length: 1, max_length: 1000 },
      },
    ],
  };
}

/** The reason typed in the modal (from `view.state.values`), or undefined when it is blank. */
export function readRejectReason(values: Record<string, Record<string, { value?: string | null }>> | undefined): string | undefined {
  const reason = values?.[REJECT_REASON_BLOCK]?.[REJECT_REASON_ACTION]?.value?.trim();
  return reason ? reason : undefined;
}

/** The `view_submission` ack that keeps the modal open and marks the reason field. */
export const REJECT_REASON_REQUIRED = {
  response_action: 'errors',
  errors: { [REJECT_REASON_BLOCK]: 'Say why the step is rejected.' },
} as const;
