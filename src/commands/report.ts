import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type ReportArgs = Extract<CommandArgs, { cmd: 'report' }>;

/** `/pipeline report`: a job builds the go-live report and sends it to the asker's DM. */
export async function reportCommand(args: ReportArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  await deps.queues.goLiveReport(args.pipeline, { user: who.userId }, `report-${args.pipeline}-${who.userId}-${deps.now()}`);
  return ephemeral(`:page_facing_up: The go-live report of ${args.pipeline} is on its way to your DM with Cutover (an HTML file to open in a browser).`);
}
