/**
 * Cutover's mark on what it publishes (issue 14 #17): a message attribute on every SNS publish.
 * When `alerts.snsTopicArn` is also one of `alerts.inboundTopics`, SNS delivers Cutover's own
 * alerts back to `POST /sns`; the mark lets the endpoint acknowledge them and do nothing, instead
 * of reading a `run.failed` alert (it names a pipeline) as a DQ result.
 *
 * An attribute rather than a field of the body: subscribers filter on attributes anyway, and the
 * body's JSON stays what it was. Attributes are not covered by SNS's signature, so all a forger on
 * the path could do with it is have a message ignored.
 */
export const OWN_MESSAGE_ATTRIBUTE = 'cutover_origin';
export const OWN_MESSAGE_VALUE = 'cutover';

/** `MessageAttributes` as SNS delivers them to an HTTP(S) endpoint: `{ name: { Type, Value } }`. */
export type DeliveredAttributes = Record<string, { Type?: unknown; Value?: unknown } | undefined>;

/** True for a notification Cutover published itself (from any deployment: no Cutover alert is ever an input). */
export function isOwnMessage(attributes: DeliveredAttributes | undefined): boolean {
  const mark = attributes && Object.hasOwn(attributes, OWN_MESSAGE_ATTRIBUTE) ? attributes[OWN_MESSAGE_ATTRIBUTE] : undefined;
  return mark?.Value === OWN_MESSAGE_VALUE;
}
