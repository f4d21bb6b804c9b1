/**
 * action_ids of the buttons the views render; src/handlers registers listeners on these.
 * `run_open` is a link button: Slack still sends a block_actions payload for it, so the
 * handlers must ack it (with nothing else to do) or the user sees a warning icon.
 */
export const ACTION_IDS = {
  repair: 'run_repair',
  cancel: 'run_cancel',
  ack: 'run_ack',
  openRun: 'run_open',
} as const;

export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];
