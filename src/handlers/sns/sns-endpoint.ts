import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { CrashPoint } from '../../crash-point.ts';
import { isOwnMessage } from '../../alerts/own-messages.ts';
import type { Logger } from '../../logger.ts';
import type { Redis } from '../../store/redis.ts';
import { createCertificateFetcher, type FetchCertificate } from './fetch-sns-certificate.ts';
import { readRequestBody } from './read-request-body.ts';
import { routeSnsNotification, type AlarmRouteRule, type SnsRoute } from './route-sns-notification.ts';
import { checkSnsUrl, parseTopicArn } from './sns-url-rules.ts';
import { verifySnsMessage, type SnsMessage, type SnsNotification, type SnsSubscriptionMessage } from './verify-sns-message.ts';

/** The job handed to the alert flow for a verified, routed notification (plain JSON). */
export interface SnsAlertJob extends SnsRoute {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** SNS publish time (ISO-8601), for ordering alarms that arrive out of order. */
  timestamp: string;
}

/** Where the MessageId dedupe markers live; `snsKeys(prefix)` gives `<prefix>:sns:msg:<id>`. */
export interface SnsKeys {
  snsMessage(messageId: string): string;
}
export const snsKeys = (prefix: string): SnsKeys => ({ snsMessage: (id) => `${prefix}:sns:msg:${id}` });

export interface SnsListenerOptions {
  /** `alerts.inboundTopics`: messages from any other topic are refused (403). */
  allowedTopics: readonly string[];
  /** `alerts.routes`: how CloudWatch alarms find their pipeline. */
  routes: readonly AlarmRouteRule[];
  /** The catalog's pipeline names; a DQ result naming another pipeline is unroutable. */
  pipelines: readonly string[];
  /** Messages older than this are replays (403). Default 1 h. */
  maxAgeMs?: number;
  /** Default: `createCertificateFetcher()` (https, timeout, size cap, cached). */
  fetchCertificate?: FetchCertificate;
  redis: Redis;
  keys: SnsKeys;
  /** Durably enqueues the alert; `POST /sns` answers 200 only once this resolves. */
  enqueue: (job: SnsAlertJob) => Promise<unknown>;
  /** Confirms a subscription by GET-ing its (already checked) SubscribeURL. Default: global fetch. */
  confirm?: (subscribeUrl: string) => Promise<void>;
  logger: Logger;
  now?: () => number;
  /** Larger bodies get 413. Default 256 KiB (SNS's own message limit). */
  maxBodyBytes?: number;
  /** How long a MessageId is remembered. Default 7,200 s: twice SNS's retry window. */
  dedupeTtlSeconds?: number;
  /** Test-only crash point (src/crash-point.ts). */
  crashPoint?: CrashPoint;
}

type Reply = [status: number, body: Record<string, unknown>];

/**
 * `POST /sns`: verify, then act, then answer. Every refusal is a 4xx (SNS does not retry
 * those) logged with its reason code; the only 5xx is 503 when a verified message could not
 * be enqueued or confirmed, so SNS retries it. Bodies are never logged.
 */
export function createSnsListener(opts: SnsListenerOptions): RequestListener {
  const { logger, redis, keys, maxBodyBytes = 256 * 1024, dedupeTtlSeconds = 7200, crashPoint = () => undefined } = opts;
  const pipelines = new Set(opts.pipelines);
  const allowedTopics = new Set(opts.allowedTopics);
  const fetchCertificate = opts.fetchCertificate ?? createCertificateFetcher();
  const confirm = opts.confirm ?? confirmByGet;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, [405, { error: 'method_not_allowed' }]);
    const read = await readRequestBody(req, maxBodyBytes);
    if (!read.ok) {
      logger.warn({ reason: read.reason }, 'sns request refused');
      if (read.reason === 'too_large' && !read.drained) res.setHeader('connection', 'close');
      return send(res, [read.reason === 'too_large' ? 413 : 400, { error: read.reason }]);
    }
    const verdict = await verifySnsMessage(read.body.toString('utf8'), { allowedTopics, fetchCertificate, maxAgeMs: opts.maxAgeMs, now: opts.now });
    if (!verdict.ok) {
      const claimedId = String(req.headers['x-amz-sns-message-id'] ?? '').slice(0, 100);
      logger.warn({ reason: verdict.reason, status: verdict.status, claimedMessageId: claimedId }, 'sns message rejected');
      return send(res, [verdict.status, { error: verdict.reason }]);
    }
    const msg = verdict.message;
    const log = logger.child({ messageId: msg.MessageId, topicArn: msg.TopicArn, type: msg.Type });
    // The headers are not signed; one that disagrees with the signed body is not from SNS.
    const headerType = req.headers['x-amz-sns-message-type'];
    if (headerType !== undefined && headerType !== msg.Type) {
      log.warn({ reason: 'header_mismatch' }, 'sns message rejected');
      return send(res, [400, { error: 'header_mismatch' }]);
    }
    send(res, await act(msg, log));
  }

  async function act(msg: SnsMessage, log: Logger): Promise<Reply> {
    if (msg.Type !== 'Notification') return actOnSubscription(msg, log);
    if (isOwnMessage(msg.MessageAttributes)) {
      // Cutover's own alert, delivered back because the outbound topic is also inbound.
      log.info('own sns alert ignored');
      return [200, { ok: true, ignored: 'own_message' }];
    }
    const routed = routeSnsNotification(msg.Message, pipelines, opts.routes);
    if (!routed.ok) {
      log.warn({ reason: routed.reason }, 'sns notification unroutable');
      return [422, { error: routed.reason }];
    }
    return once(msg, log, async () => {
      await opts.enqueue(toJob(msg, routed.route));
      log.info({ pipeline: routed.route.pipeline, kind: routed.route.kind }, 'sns notification enqueued');
    });
  }

  async function actOnSubscription(msg: SnsSubscriptionMessage, log: Logger): Promise<Reply> {
    if (msg.Type === 'UnsubscribeConfirmation') {
      log.info('sns subscription removed');
      return [200, { ok: true }];
    }
    // Verification already pinned the topic ARN to a parseable, allow-listed topic.
    const url = checkSnsUrl(msg.SubscribeURL, parseTopicArn(msg.TopicArn)!);
    if (!url) {
      log.warn({ reason: 'bad_subscribe_url' }, 'sns message rejected');
      return [403, { error: 'bad_subscribe_url' }];
    }
    return once(msg, log, async () => {
      await confirm(url.href);
      log.info('sns subscription confirmed');
    });
  }

  /**
   * Runs `work` once per MessageId (SNS redelivers, and a captured message can be replayed
   * within its age limit). The marker is written only after `work` succeeded: `work` is
   * idempotent (the enqueue by the job id, a confirmation by its token), so a crash before
   * the marker just means SNS's redelivery does it again harmlessly, while a marker written
   * first would turn that redelivery into a "duplicate" and lose the alert.
   */
  async function once(msg: SnsMessage, log: Logger, work: () => Promise<void>): Promise<Reply> {
    const key = keys.snsMessage(msg.MessageId);
    try {
      if ((await redis.exists(key)) === 1) {
        log.info('sns message already processed');
        return [200, { ok: true, duplicate: true }];
      }
      crashPoint('sns.received'); // test-only: past the duplicate check, before the enqueue
      await work();
      crashPoint('sns.enqueued');
      await redis.set(key, '1', 'EX', dedupeTtlSeconds);
      return [200, { ok: true }];
    } catch (err) {
      log.error({ err }, 'sns message not processed; SNS will retry');
      return [503, { error: 'unavailable' }];
    }
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'sns request failed');
      if (!res.headersSent) send(res, [500, { error: 'internal' }]);
    });
  };
}

function toJob(msg: SnsNotification, route: SnsRoute): SnsAlertJob {
  const job: SnsAlertJob = { ...route, messageId: msg.MessageId, topicArn: msg.TopicArn, timestamp: msg.Timestamp };
  if (msg.Subject !== undefined) job.subject = msg.Subject;
  return job;
}

/** The default `confirm`: one GET, no redirects (they could leave the SNS host), bounded in time. */
async function confirmByGet(url: string): Promise<void> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`SubscribeURL answered HTTP ${res.status}`);
}

function send(res: ServerResponse, [status, body]: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
