import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.ts';

export interface WorkspaceGuardOptions {
  slack: { auth: Pick<WebClient['auth'], 'test'>; users: Pick<WebClient['users'], 'info'> };
  logger: Logger;
  /** How long what `users.info` said about a user is trusted; default 10 minutes. */
  ttlMs?: number;
  /** How old an answer may be and still be used while Slack fails; default 1 hour, then requests are refused. */
  maxStaleMs?: number;
  now?: () => number;
}

/** Who is asking, as far as the request itself says. */
export interface Requester {
  /** The workspace the request came from (slash command `team_id`, interaction `team.id`, event `team_id`). */
  teamId?: string;
  /** The user's own workspace when the payload names it (interactions' `user.team_id`). */
  userTeamId?: string;
  userId?: string;
}

interface UserFacts {
  teamId?: string;
  guest: boolean;
  external: boolean;
  deleted: boolean;
}

/**
 * Cutover acts for the members of one workspace: the one its bot token belongs to (`auth.test`
 * at the first request, kept for the process's life). Guests (restricted and ultra-restricted
 * users), Slack Connect users of another team, deleted users and requests carrying another
 * `team_id` are refused, whatever they ask for (issue 14 finding 2).
 */
export class WorkspaceGuard {
  readonly #users = new Map<string, { facts: UserFacts; at: number }>();
  /** Lookups in flight: a burst of requests from one person asks Slack once (users.info is rate-limited). */
  readonly #asking = new Map<string, Promise<UserFacts | undefined>>();
  #team: Promise<string> | undefined;
  readonly #ttlMs: number;
  readonly #maxStaleMs: number;
  readonly #now: () => number;

  constructor(private readonly opts: WorkspaceGuardOptions) {
    this.#ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.#maxStaleMs = opts.maxStaleMs ?? 60 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The bot's own workspace, from `auth.test`; a failure is not kept, so the next request asks again. */
  expectedTeam(): Promise<string> {
    this.#team ??= this.opts.slack.auth.test().then(
      (res) => {
        if (!res.team_id) throw new Error('auth.test returned no team_id');
        return res.team_id;
      },
      (err: unknown) => {
        this.#team = undefined;
        throw err;
      },
    );
    return this.#team;
  }

  /** Why the request is refused, in words for the person; undefined when it may go on. */
  async refusal(who: Requester): Promise<string | undefined> {
    let team: string;
    try {
      team = await this.expectedTeam();
    } catch (err) {
      this.opts.logger.warn({ err }, 'workspace guard: auth.test failed');
      return 'Cutover could not confirm its own workspace with Slack just now; try again in a minute.';
    }
    const foreign = 'Cutover only acts for members of the workspace it is installed in.';
    if (who.teamId !== team) return foreign;
    if (who.userTeamId !== undefined && who.userTeamId !== team) return foreign;
    if (!who.userId) return undefined;
    const facts = await this.facts(who.userId);
    if (!facts) return 'Cutover could not check your account with Slack just now; try again in a minute.';
    if (facts.deleted) return 'This account is deactivated.';
    if (facts.guest) return 'Guests cannot use Cutover: ask a member of the workspace.';
    if (facts.external || (facts.teamId !== undefined && facts.teamId !== team)) return foreign;
    return undefined;
  }

  private facts(user: string): Promise<UserFacts | undefined> {
    const hit = this.#users.get(user);
    if (hit && this.#now() - hit.at < this.#ttlMs) return Promise.resolve(hit.facts);
    let asking = this.#asking.get(user);
    if (!asking) {
      asking = this.lookUp(user).finally(() => this.#asking.delete(user));
      this.#asking.set(user, asking);
    }
    return asking;
  }

  private async lookUp(user: string): Promise<UserFacts | undefined> {
    const hit = this.#users.get(user);
    const now = this.#now();
    try {
      const res = await this.opts.slack.users.info({ user });
      const u = res.user as { team_id?: string; is_restricted?: boolean; is_ultra_restricted?: boolean; is_stranger?: boolean; deleted?: boolean } | undefined;
      const facts: UserFacts = { teamId: u?.team_id, guest: Boolean(u?.is_restricted || u?.is_ultra_restricted), external: Boolean(u?.is_stranger), deleted: Boolean(u?.deleted) };
      this.#users.set(user, { facts, at: now });
      return facts;
    } catch (err) {
      this.opts.logger.warn({ err, user }, 'workspace guard: users.info failed');
      // A recent answer is still good while Slack is down; an old one is not.
      return hit && now - hit.at < this.#maxStaleMs ? hit.facts : undefined;
    }
  }
}

/** The requester of any Bolt request: command, interaction (button, modal) or event (App Home). */
export function requesterOf(args: AnyMiddlewareArgs): Requester {
  const body = args.body as Record<string, unknown>;
  if (typeof body.command === 'string') {
    return { teamId: str(body.team_id), userId: str(body.user_id) };
  }
  if (body.event && typeof body.event === 'object') {
    const event = body.event as { user?: unknown };
    const auth = Array.isArray(body.authorizations) ? (body.authorizations[0] as { team_id?: string } | undefined) : undefined;
    return { teamId: str(body.team_id) ?? str(auth?.team_id), userId: typeof event.user === 'string' ? event.user : str((event.user as { id?: string } | undefined)?.id) };
  }
  const user = body.user as { id?: string; team_id?: string } | undefined;
  const team = body.team as { id?: string } | null | undefined;
  return { teamId: str(team?.id) ?? str(user?.team_id), userTeamId: str(user?.team_id), userId: str(user?.id) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * One global middleware (STYLE 3) in front of every command, button, modal and event: refused
 * requests are acked with the reason (ephemeral for commands and buttons; a modal is closed)
 * and never reach a handler.
 */
export function workspaceGuardMiddleware(guard: WorkspaceGuard, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const who = requesterOf(args);
    const reason = await guard.refusal(who);
    if (reason === undefined) return args.next();
    logger.info({ user: who.userId, team: who.teamId, reason }, 'request refused by the workspace guard');
    const a = args as unknown as { ack?: (r?: unknown) => Promise<void>; respond?: (r: unknown) => Promise<unknown>; body: { type?: string; command?: string } };
    if (typeof a.body.command === 'string') return void (await a.ack?.({ response_type: 'ephemeral', text: `:no_entry: ${reason}` }));
    await a.ack?.();
    if (a.body.type === 'block_actions' && a.respond) await a.respond({ response_type: 'ephemeral', replace_original: false, text: `:no_entry: ${reason}` }).catch(() => undefined);
  };
}
