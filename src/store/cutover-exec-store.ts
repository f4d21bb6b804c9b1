import type { Redis } from 'ioredis';
import { readJson, type Keyspace } from './redis.ts';
import type { MessageRef } from './run-record.ts';

/** One action's line in the execution message. */
export interface ExecLine {
  status: 'running' | 'done' | 'failed';
  text?: string;
}

/**
 * The execution (or rollback) of one approved request, as its thread message shows it. Written
 * only by the request's single execute job, so a plain SET is enough; `version` lets the
 * message slot know whether what it rendered is the latest. `done` counts the actions that
 * finished, so a retried job resumes after them instead of running them again.
 */
export interface CutoverExecution {
  requestId: string;
  state: 'executing' | 'done' | 'failed' | 'rolled_back';
  lines: ExecLine[];
  done: number;
  error?: { code?: string; message: string };
  version: number;
}

export class CutoverExecStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
  ) {}

  get(requestId: string): Promise<CutoverExecution | undefined> {
    return readJson<CutoverExecution>(this.redis, this.keys.cutoverExec(requestId));
  }

  async save(e: CutoverExecution): Promise<CutoverExecution> {
    const next = { ...e, version: e.version + 1 };
    // Kept `retention.recordsMs` after its last write (src/store/retention.ts); an execution in progress writes often.
    await this.redis.set(this.keys.cutoverExec(e.requestId), JSON.stringify(next), 'PX', this.keys.retention.recordsMs);
    return next;
  }

  /** The thread message showing the execution; kept apart so the job and the notifier never overwrite each other. */
  message(requestId: string): Promise<MessageRef | undefined> {
    return readJson<MessageRef>(this.redis, this.keys.cutoverExecMessage(requestId));
  }

  async setMessage(requestId: string, ref: MessageRef): Promise<void> {
    await this.redis.set(this.keys.cutoverExecMessage(requestId), JSON.stringify(ref), 'PX', this.keys.retention.recordsMs);
  }
}
