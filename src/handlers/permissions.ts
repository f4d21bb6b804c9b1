import type { WebClient } from '@slack/web-api';
import type { Catalog } from '../config/catalog-schema.ts';
import { ApiError, PermissionDeniedError } from '../errors.ts';
import type { RunEnv } from '../store/run-record.ts';

/** Permissions that name who may act on one pipeline (see `Permissions.may`). */
export type NamedPermission = 'dq' | 'diff' | 'audit';

export interface PermissionsOptions {
  catalog: Catalog;
  slack: WebClient;
  /** How long a user group's members are cached; default 5 minutes. */
  ttlMs?: number;
  /**
   * How old a cached member list may be and still be used while Slack fails (`CUTOVER_USERGROUP_MAX_AGE_MS`,
   * default 30 minutes). Past it the request is refused with the reason: a person removed from the
   * group must not keep their rights for as long as Slack's API is down.
   */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Who may do what, from the catalog's `permissions`. Entries are user ids (`U…`, `W…`) or
 * user-group ids (`S…`), the latter resolved with `usergroups.users.list` and cached.
 */
export class Permissions {
  private readonly cache = new Map<string, { users: Set<string>; until: number; fetchedAt: number }>();
  private readonly ttlMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: PermissionsOptions) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.maxAgeMs = opts.maxAgeMs ?? 30 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** `--env prod` runs (and the buttons on prod runs) need `permissions.run.prod`; dev runs need `run.dev` when it is set. */
  async canRun(user: string, env: RunEnv): Promise<boolean> {
    const rules = this.opts.catalog.permissions.run;
    const allowed = env === 'prod' ? rules.prod : rules.dev;
    if (allowed === undefined) return true;
    return this.includes(allowed, user);
  }

  /**
   * A named permission on one pipeline (issue 14 findings 2, 9, 10):
   * - `dq`: acknowledge, mute or re-run its DQ alerts: `permissions.dq`, else its owners and `run.prod`;
   * - `diff`: `/pipeline diff`: `permissions.diff`, else its owners and `run.prod`;
   * - `audit`: read its audit trail: its owners, its approvers and `run.prod`.
   */
  async may(action: NamedPermission, user: string, pipeline: string): Promise<boolean> {
    return this.includes(this.holders(action, pipeline), user);
  }

  /** Who holds a named permission on a pipeline (user and user-group ids), for checks and refusals. */
  holders(action: NamedPermission, pipeline: string): string[] {
    const { catalog } = this.opts;
    const p = Object.hasOwn(catalog.pipelines, pipeline) ? catalog.pipelines[pipeline] : undefined;
    const owners = p?.owners ?? [];
    const prod = catalog.permissions.run.prod;
    switch (action) {
      case 'dq':
        return catalog.permissions.dq ?? [...owners, ...prod];
      case 'diff':
        return catalog.permissions.diff ?? [...owners, ...prod];
      case 'audit':
        return [...owners, ...(p?.cutover?.approvers?.users ?? catalog.permissions.approve), ...prod];
    }
  }

  /**
   * The same answer as `canRun` when it needs no Slack call (a listed user, no rule, or
   * groups already cached), so a command can be refused or confirmed in its ack; else undefined.
   */
  canRunNow(user: string, env: RunEnv): boolean | undefined {
    const rules = this.opts.catalog.permissions.run;
    const allowed = env === 'prod' ? rules.prod : rules.dev;
    if (allowed === undefined || allowed.includes(user)) return true;
    let unknown = false;
    for (const group of allowed.filter((e) => e.startsWith('S'))) {
      const hit = this.cache.get(group);
      if (!hit || hit.until <= this.now()) unknown = true;
      else if (hit.users.has(user)) return true;
    }
    return unknown ? undefined : false;
  }

  async includes(entries: readonly string[], user: string): Promise<boolean> {
    if (entries.includes(user)) return true;
    for (const group of entries.filter((e) => e.startsWith('S'))) {
      if ((await this.members(group)).has(user)) return true;
    }
    return false;
  }

  private async members(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit && hit.until > this.now()) return hit.users;
    try {
      const res = await this.opts.slack.usergroups.users.list({ usergroup: group });
      const users = new Set(res.users ?? []);
      const fetchedAt = this.now();
      this.cache.set(group, { users, until: fetchedAt + this.ttlMs, fetchedAt });
      return users;
    } catch (err) {
      // Slack is down: a recent answer beats refusing everyone; an old one may hide a removal.
      if (hit && this.now() - hit.fetchedAt <= this.maxAgeMs) return hit.users;
      if (hit) {
        const minutes = Math.round((this.now() - hit.fetchedAt) / 60_000);
        throw new PermissionDeniedError(
          `Cutover cannot check user group ${group} right now: Slack did not answer, and the member list it last read is ${minutes} min old (the limit is ${Math.round(this.maxAgeMs / 60_000)} min). Try again when Slack answers.`,
          { cause: err },
        );
      }
      throw new ApiError({ service: 'slack', message: `could not read user group ${group}`, retryable: true, cause: err });
    }
  }
}
