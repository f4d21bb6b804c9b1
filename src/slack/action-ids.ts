/**
 * action_ids of the buttons the views render; src/handlers registers listeners on these.
 * `run_open` and `cutover_open_request` are link buttons: Slack still sends a block_actions
 * payload for them, which the interaction router acks with nothing else to do.
 */
export const ACTION_IDS = {
  repair: 'run_repair',
  cancel: 'run_cancel',
  ack: 'run_ack',
  openRun: 'run_open',
  backfillCancel: 'backfill_cancel',
  backfillRetry: 'backfill_retry',
  dqRerun: 'dq_rerun',
  dqAck: 'dq_ack',
  dqMute: 'dq_mute',
  /** Buttons on a cutover approval request; `value` is the request id. */
  cutoverApprove: 'cutover_approve',
  cutoverReject: 'cutover_reject',
  /** App Home: open a request waiting for the viewer; `value` is the request id. */
  cutoverOpenRequest: 'cutover_open_request',
} as const;

export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];
