import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { toAwsApiError } from '../engines/emr/to-api-error.ts';
import type { SnsAlert } from './build-sns-alert.ts';
import { OWN_MESSAGE_ATTRIBUTE, OWN_MESSAGE_VALUE } from './own-messages.ts';

export interface SnsPublisherOptions {
  topicArn: string;
  region?: string;
  /** `AWS_ENDPOINT_URL_SNS`: tests point it at a fake speaking the AWS query protocol. */
  endpoint?: string;
  /** Inject a client (tests); default one built from region and endpoint. */
  client?: SNSClient;
}

export type PublishAlert = (alert: SnsAlert, signal?: AbortSignal) => Promise<{ messageId: string }>;

/**
 * Publishes alerts to `alerts.snsTopicArn`. The SDK's own retries are turned off: the BullMQ
 * job that calls this retries with backoff instead, so a long SNS outage delays the publish
 * without holding a worker, and a failure is an ApiError saying whether to retry.
 */
export function createSnsPublisher(opts: SnsPublisherOptions): PublishAlert {
  const client = opts.client ?? new SNSClient({ region: opts.region ?? 'us-east-1', endpoint: opts.endpoint, maxAttempts: 1 });
  return async (alert, signal) => {
    // Marked as Cutover's own, so reading the topic back (it may also be inbound) ignores it.
    const marked = { ...alert.attributes, [OWN_MESSAGE_ATTRIBUTE]: OWN_MESSAGE_VALUE };
    const attributes = Object.fromEntries(Object.entries(marked).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
    try {
      const res = await client.send(new PublishCommand({ TopicArn: opts.topicArn, Subject: alert.subject, Message: alert.message, MessageAttributes: attributes }), { abortSignal: signal });
      return { messageId: res.MessageId ?? '' };
    } catch (err) {
      throw toAwsApiError(err, 'sns', 'Publish', signal);
    }
  };
}
