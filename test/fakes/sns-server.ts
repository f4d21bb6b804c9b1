import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Amazon SNS on 127.0.0.1 speaking the AWS query protocol the SDK uses for SNS
 * (botocore `sns/2010-03-31/service-2.json`: protocol query): `POST /` with a form body
 * (`Action=Publish&TopicArn=…&MessageAttributes.entry.N.Name=…`), XML answers, errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`. An Authorization
 * header (SigV4) must be present, as with the real endpoint; it is not verified.
 */
export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, { dataType: string; value: string }>;
  messageId: string;
  at: number;
}

export class FakeSns {
  readonly published: PublishedMessage[] = [];
  /** Every request's form fields, failed or not, in order. */
  readonly requests: Array<Record<string, string>> = [];
  private failures = 0;
  private server?: Server;
  url = '';

  constructor(private readonly topics: string[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `n` requests get a 500 InternalError (an SNS outage). */
  failNext(n: number): void {
    this.failures = n;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    this.requests.push(form);
    const reply = (status: number, xml: string): void => void res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
    const error = (status: number, type: string, code: string, message: string) =>
      reply(status, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
    if (req.method !== 'POST' || !req.headers.authorization) return error(403, 'Sender', 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    if (this.failures > 0) {
      this.failures--;
      return error(500, 'Receiver', 'InternalError', 'injected outage');
    }
    if (form.Action === 'GetTopicAttributes') {
      if (!form.TopicArn || !this.topics.includes(form.TopicArn)) return error(404, 'Sender', 'NotFound', 'Topic does not exist');
      const entries = [['TopicArn', form.TopicArn], ['DisplayName', ''], ['SubscriptionsConfirmed', '1']].map(([k, v]) => `<entry><key>${k}</key><value>${xmlEscape(v!)}</value></entry>`).join('');
      return reply(200, `<GetTopicAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><GetTopicAttributesResult><Attributes>${entries}</Attributes></GetTopicAttributesResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetTopicAttributesResponse>`);
    }
    if (form.Action !== 'Publish') return error(400, 'Sender', 'InvalidAction', `unsupported action ${form.Action}`);
    if (!form.TopicArn || !this.topics.includes(form.TopicArn)) return error(404, 'Sender', 'NotFound', 'Topic does not exist');
    if (!form.Message) return error(400, 'Sender', 'InvalidParameter', 'Invalid parameter: Message');
    if (form.Subject !== undefined && (form.Subject.length >= 100 || /[^\x20-\x7e]/.test(form.Subject))) {
      return error(400, 'Sender', 'InvalidParameter', 'Invalid parameter: Subject');
    }
    const attributes: PublishedMessage['attributes'] = {};
    for (let i = 1; form[`MessageAttributes.entry.${i}.Name`] !== undefined; i++) {
      const p = `MessageAttributes.entry.${i}`;
      attributes[form[`${p}.Name`]!] = { dataType: form[`${p}.Value.DataType`] ?? '', value: form[`${p}.Value.StringValue`] ?? '' };
    }
    const messageId = randomUUID();
    this.published.push({ topicArn: form.TopicArn, subject: form.Subject, message: form.Message, attributes, messageId, at: Date.now() });
    reply(200, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`);
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
