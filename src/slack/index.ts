/** Block Kit views: pure functions from state to blocks (STYLE 4). */
export { ACTION_IDS, type ActionId } from './action-ids.ts';
export { buildStatusView, fallbackText } from './build-status-view.ts';
export { buildFailureAlert, buildRepairNote, buildAckNote, alertButtons, TRACE_LINES } from './build-failure-alert.ts';
export { buildHelp, buildUsageError, usageFor, helpText, HELP_LINES, SUBCOMMANDS, type EphemeralResponse } from './build-help.ts';
export { buildListView, lastRunText, type PipelineListItem } from './build-list-view.ts';
export { buildRunListView } from './build-run-list-view.ts';
export { buildParallelView, outputLine, verdictOrPhase, verdictLabel, speedUpRatio, fitLines, formatCount } from './build-parallel-view.ts';
export { buildBackfillView, backfillButtons, tally as backfillTally } from './build-backfill-view.ts';
export { buildDiffDetails, formatKey, DETAIL_SAMPLES, FULL_REPORT_NOTE } from './build-diff-details.ts';
export { buildHistoryView, mismatchTotal, type HistoryItem } from './build-history-view.ts';
export { buildReportFiles, countCsvRows, safeName, type ReportFile } from './report-files.ts';
export { buildCutoverPlanView, type PlanViewOptions } from './build-cutover-plan-view.ts';
export { buildApprovalRequest, type ApprovalViewOptions } from './build-approval-request.ts';
export { buildExecutionProgress, type ActionLine, type ExecutionProgress } from './build-cutover-progress.ts';
export {
  buildRejectModal,
  readRejectReason,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION,
  REJECT_REASON_BLOCK,
  REJECT_REASON_REQUIRED,
} from './build-reject-modal.ts';
export { buildHomeView, type HomeApproval, type HomePipeline, type HomeRun } from './build-home-view.ts';
export { approvalsText, approversText, gateLine, mentionAny, requestStateLabel, stageLabel, stepStateLabel } from './cutover-format.ts';
export { LIMITS, TRUNCATED_NOTE, truncateText, splitSections, capBlocks, section, context } from './limits.ts';
export {
  engineLabel,
  escapeMrkdwn,
  formatAgo,
  formatDuration,
  link,
  mention,
  slackDate,
  stateEmoji,
  stateLabel,
  type SlackMessage,
} from './format.ts';
