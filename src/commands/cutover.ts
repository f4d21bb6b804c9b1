import { loadPlan } from '../cutover/load-plan.ts';
import { versionFor } from '../cutover/evaluate-plan.ts';
import { parallelLinks } from '../cutover/parallel-links.ts';
import { buildCutoverPlanView } from '../slack/build-cutover-plan-view.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type CutoverArgs = Extract<CommandArgs, { cmd: 'cutover' }>;

/**
 * `/pipeline cutover <pipeline>` shows the plan; `… request <step>` asks for approval to
 * execute a ready step, `… rollback <step>` to undo a done (or failed) one. A request is made
 * only when the plan says it can be (gates met, previous step done), is bound to the plan
 * version shown, and its message with Approve / Reject is posted in the pipeline channel by a
 * notify job. Requests change production, so they need `permissions.run.prod`.
 */
export async function cutoverCommand(args: CutoverArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const config = deps.catalog.pipelines[args.pipeline]!;
  if (!config.cutover) return ephemeral(`:warning: ${args.pipeline} has no cutover plan in the catalog.`);
  const plan = await loadPlan(deps, args.pipeline);
  if (!args.action) {
    const [stage, links] = await Promise.all([deps.stages.get(args.pipeline), parallelLinks(plan, deps.parallels, deps.permalink)]);
    const view = buildCutoverPlanView(plan, { config, stage, now: deps.now(), parallelLinks: links });
    return ephemeral(view.text, view.blocks);
  }
  const { kind: verb, step: stepId } = args.action;
  const kind = verb === 'request' ? 'execute' : 'rollback';
  const step = plan.steps.find((s) => s.id === stepId)!;
  if (plan.problems.length > 0) return ephemeral(`:no_entry: The cutover plan of ${args.pipeline} cannot be used: ${plan.problems.join('; ')}`);
  const refusal = step.refusal[kind];
  if (refusal) return ephemeral(`:no_entry: ${kind === 'execute' ? 'Step' : 'Rollback of step'} *${stepId}* cannot be requested: ${refusal}`);
  if (!(await deps.permissions.canRun(who.userId, 'prod'))) {
    return ephemeral(`:no_entry: Cutover requests change production: only people in \`permissions.run.prod\` can make them.`);
  }
  const result = await deps.cutover.createRequest({
    pipeline: args.pipeline,
    step: stepId,
    kind,
    requestedBy: who.userId,
    requestedByName: who.userName,
    planVersion: versionFor(step, kind),
    actions: kind === 'execute' ? step.config.actions : step.config.rollback,
    // A rollback undoes what was approved already: one approval (never the requester's) is enough.
    min: kind === 'rollback' ? 1 : plan.approvers.min,
    ttlHours: plan.ttlHours,
  });
  if (result.outcome === 'pending') return ephemeral(`:hourglass: Step *${stepId}* already has a pending request (\`${result.request.id}\`); approvers can act on it in <#${config.channel}>.`);
  if (result.outcome === 'state') return ephemeral(`:no_entry: Step *${stepId}* is *${result.state}*: a ${kind} request cannot start from there.`);
  const request = result.request;
  await deps.queues.cutoverMessage(request.id);
  await deps.queues.cutoverExpire(request.id, Math.max(0, request.expiresAt - deps.now()));
  return ephemeral(`:memo: Approval requested for ${kind === 'execute' ? 'step' : 'the rollback of step'} *${stepId}* of *${args.pipeline}* (\`${request.id}\`): ${request.min} approval${request.min === 1 ? '' : 's'} needed, not yours; it expires ${`<!date^${Math.floor(request.expiresAt / 1000)}^{date_short_pretty} {time}|in ${plan.ttlHours} h>`}. See <#${config.channel}>.`);
}
