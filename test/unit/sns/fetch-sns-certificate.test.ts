import { describe, expect, it } from 'vitest';
import { createCertificateFetcher } from '../../../src/handlers/sns/fetch-sns-certificate.ts';
import { checkSigningCertUrl, checkSnsUrl, parseTopicArn } from '../../../src/handlers/sns/sns-url-rules.ts';
import { TEST_CERT_URL, testSigningIdentity } from '../../helpers/sns-signing.ts';

function fakeFetch(respond: (url: string) => Response) {
  const calls: Array<{ url: string; init?: RequestInit }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return respond(String(input));
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('createCertificateFetcher', () => {
  const pem = testSigningIdentity().certPem;

  it('fetches once per URL without following redirects, then serves the cache', async () => {
    const fake = fakeFetch(() => new Response(pem));
    const get = createCertificateFetcher({ fetch: fake.fetch });
    const [a, b] = await Promise.all([get(TEST_CERT_URL), get(TEST_CERT_URL)]);
    await get(TEST_CERT_URL);
    expect(a).toBe(pem);
    expect(b).toBe(pem);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.init?.redirect).toBe('error');
    expect(fake.calls[0]!.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('keeps the cache bounded, least recently used out first', async () => {
    const fake = fakeFetch(() => new Response(pem));
    const get = createCertificateFetcher({ fetch: fake.fetch, cacheSize: 2 });
    const url = (n: number) => `https://sns.us-east-1.amazonaws.com/c${n}.pem`;
    await get(url(1));
    await get(url(2));
    await get(url(1)); // 1 is now the most recent
    await get(url(3)); // evicts 2
    await get(url(1));
    await get(url(2));
    expect(fake.calls.map((c) => c.url)).toEqual([url(1), url(2), url(3), url(2)]);
  });

  it('does not cache failures, refuses http, oversized and non-PEM answers', async () => {
    let status = 500;
    const fake = fakeFetch(() => new Response(status === 200 ? pem : 'oops', { status }));
    const get = createCertificateFetcher({ fetch: fake.fetch });
    await expect(get(TEST_CERT_URL)).rejects.toThrow(/HTTP 500/);
    status = 200;
    await expect(get(TEST_CERT_URL)).resolves.toBe(pem);

    await expect(get('http://sns.us-east-1.amazonaws.com/x.pem')).rejects.toThrow(/https/);
    const big = createCertificateFetcher({ fetch: fakeFetch(() => new Response('x'.repeat(100_000))).fetch, maxBytes: 1000 });
    await expect(big(TEST_CERT_URL)).rejects.toThrow(/too large/);
    const html = createCertificateFetcher({ fetch: fakeFetch(() => new Response('<html></html>')).fetch });
    await expect(html(TEST_CERT_URL)).rejects.toThrow(/not a PEM/);
  });
});

describe('SNS URL rules', () => {
  it('parses topic ARNs and pins the partition to the host suffix', () => {
    const cn = parseTopicArn('arn:aws-cn:sns:cn-north-1:111122223333:alerts')!;
    expect(cn).toEqual({ partition: 'aws-cn', region: 'cn-north-1', account: '111122223333', name: 'alerts' });
    expect(checkSigningCertUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem', cn)).toBeDefined();
    expect(checkSigningCertUrl('https://sns.cn-north-1.amazonaws.com/x.pem', cn)).toBeUndefined();
    for (const bad of ['arn:aws:sqs:us-east-1:111122223333:q', 'arn:aws:sns:us-east-1:1:t', 'arn:aws:sns:us-east-1:111122223333', 'nope']) {
      expect(parseTopicArn(bad)).toBeUndefined();
    }
  });

  it('allows a SubscribeURL query but not another host', () => {
    const topic = parseTopicArn('arn:aws:sns:us-east-1:111122223333:alerts')!;
    expect(checkSnsUrl('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc', topic)?.hostname).toBe('sns.us-east-1.amazonaws.com');
    expect(checkSnsUrl('https://SNS.US-EAST-1.AMAZONAWS.COM/?Action=ConfirmSubscription', topic)).toBeDefined();
    for (const bad of ['https://sns.us-east-1.amazonaws.com./x', 'https://169.254.169.254/latest/meta-data', 'https://sqs.us-east-1.amazonaws.com/', 'file:///etc/passwd']) {
      expect(checkSnsUrl(bad, topic)).toBeUndefined();
    }
  });
});
