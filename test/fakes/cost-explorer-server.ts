import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake AWS Cost Explorer on 127.0.0.1 speaking AWS JSON 1.1 as the SDK does (`POST /`,
 * `X-Amz-Target: AWSInsightsIndexService.<Operation>`, errors as `{"__type", "message"}`):
 * `GetCostAndUsage` filtered by one tag, daily, and `ListCostAllocationTags`. Tests say which
 * tags are active and what each tagged resource cost on which day.
 */
export interface TaggedCost {
  tagKey: string;
  tagValue: string;
  /** YYYY-MM-DD */
  day: string;
  amount: number;
}

export class FakeCostExplorer {
  readonly requests: Array<{ operation: string; body: Record<string, unknown> }> = [];
  /** Tag key → Active or Inactive. */
  tags = new Map<string, 'Active' | 'Inactive'>();
  costs: TaggedCost[] = [];
  /** Operation → the error it answers while set (e.g. `AccessDeniedException` for an IAM policy without `ce:GetCostAndUsage`). */
  refuse = new Map<string, { status: number; type: string; message: string }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeCostExplorer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeCostExplorer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  calls(operation: string) {
    return this.requests.filter((r) => r.operation === operation);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify(body));
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!req.headers.authorization) return send(403, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    if (!target.startsWith('AWSInsightsIndexService.')) return send(400, { __type: 'UnknownOperationException', message: `bad X-Amz-Target: ${target}` });
    const operation = target.slice('AWSInsightsIndexService.'.length);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.requests.push({ operation, body });
    const refusal = this.refuse.get(operation);
    if (refusal) return send(refusal.status, { __type: refusal.type, message: refusal.message });
    if (operation === 'ListCostAllocationTags') return send(200, this.listTags(body));
    if (operation === 'GetCostAndUsage') {
      try {
        return send(200, this.costAndUsage(body));
      } catch (err) {
        return send(400, { __type: 'ValidationException', message: (err as Error).message });
      }
    }
    send(400, { __type: 'UnknownOperationException', message: `${operation} is not supported by the fake` });
  }

  private listTags(body: Record<string, unknown>) {
    const keys = (body.TagKeys as string[] | undefined) ?? [...this.tags.keys()];
    const found = keys.filter((k) => this.tags.has(k));
    return { CostAllocationTags: found.map((k) => ({ TagKey: k, Type: k.startsWith('aws:') ? 'AWSGenerated' : 'UserDefined', Status: this.tags.get(k) })) };
  }

  /** DAILY UnblendedCost over [Start, End) for resources whose tag `Key` is one of `Values`. */
  private costAndUsage(body: Record<string, unknown>) {
    const period = body.TimePeriod as { Start?: string; End?: string } | undefined;
    const filter = (body.Filter as { Tags?: { Key?: string; Values?: string[] } } | undefined)?.Tags;
    if (!period?.Start || !period.End || period.Start >= period.End) throw new Error('TimePeriod Start must be before End');
    if (body.Granularity !== 'DAILY') throw new Error('the fake answers DAILY granularity only');
    if (!(body.Metrics as string[] | undefined)?.includes('UnblendedCost')) throw new Error('Metrics must include UnblendedCost');
    if (!filter?.Key || !filter.Values?.length) throw new Error('the fake needs a Tags filter');
    const results = [];
    for (let d = new Date(`${period.Start}T00:00:00Z`); d.toISOString().slice(0, 10) < period.End; d.setUTCDate(d.getUTCDate() + 1)) {
      const day = d.toISOString().slice(0, 10);
      const next = new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
      const amount = this.costs.filter((c) => c.day === day && c.tagKey === filter.Key && filter.Values!.includes(c.tagValue)).reduce((s, c) => s + c.amount, 0);
      results.push({ TimePeriod: { Start: day, End: next }, Total: { UnblendedCost: { Amount: String(amount), Unit: 'USD' } }, Groups: [], Estimated: false });
    }
    return { ResultsByTime: results, DimensionValueAttributes: [] };
  }
}
