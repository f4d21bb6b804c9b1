import { createHmac } from 'node:crypto';

export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/** `v0=` + HMAC-SHA256(secret, `v0:{ts}:{body}`) over the exact raw body, as Slack signs requests; `timestamp` in Unix seconds. */
export function signSlackBody(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): SlackSignatureHeaders {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${signature}`, 'x-slack-request-timestamp': String(timestamp) };
}
