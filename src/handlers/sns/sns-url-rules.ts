/**
 * Which URLs from an SNS message we may ever fetch. A message's `SigningCertURL` and
 * `SubscribeURL` are attacker-controlled until the signature is verified (and the cert URL
 * is needed *to* verify it), so these rules are the only thing standing between a forged
 * POST and a server-side request to anywhere. They are deliberately not configurable.
 */

/** AWS's own validator uses this shape; we additionally pin the region to the topic's. */
const SNS_HOST = /^sns\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export interface TopicArnParts {
  partition: string;
  region: string;
  account: string;
  name: string;
}

/** Splits `arn:<partition>:sns:<region>:<account>:<name>`; undefined when it is not an SNS topic ARN. */
export function parseTopicArn(arn: string): TopicArnParts | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sns') return undefined;
  const [, partition, , region, account, name] = parts as [string, string, string, string, string, string];
  if (!/^aws(-[a-z]+)*$/.test(partition) || !/^[a-z0-9-]+$/.test(region) || !/^\d{12}$/.test(account) || name === '') return undefined;
  return { partition, region, account, name };
}

/**
 * Parses `raw` and returns the normalised URL when it is `https:` on the SNS host of the
 * topic's region (`.amazonaws.com.cn` exactly for the `aws-cn` partition), on the default
 * port, without credentials. Callers fetch the returned `href`, never `raw`, so what was
 * checked is what is fetched.
 */
export function checkSnsUrl(raw: string, topic: TopicArnParts): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '') return undefined;
  const host = SNS_HOST.exec(url.hostname);
  if (!host || host[1] !== topic.region) return undefined;
  const isChina = host[2] !== undefined;
  if (isChina !== (topic.partition === 'aws-cn')) return undefined;
  return url;
}

/** The signing certificate URL additionally names a `.pem` file and carries no query or fragment. */
export function checkSigningCertUrl(raw: string, topic: TopicArnParts): URL | undefined {
  const url = checkSnsUrl(raw, topic);
  if (!url || !url.pathname.endsWith('.pem') || url.search !== '' || url.hash !== '') return undefined;
  return url;
}
