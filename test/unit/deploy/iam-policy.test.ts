import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/deploy.md's IAM policy lists exactly the AWS actions Cutover calls: each SDK command
 * sent anywhere in src/ maps to one IAM action, and the policy holds no data-plane action that
 * no code calls. A new command without a policy line fails here, before a user's first AccessDenied.
 */
const IAM_PREFIX: Record<string, string> = {
  emr: 'elasticmapreduce',
  'emr-serverless': 'emr-serverless',
  sfn: 'states',
  'redshift-data': 'redshift-data',
  s3: 's3',
  sns: 'sns',
  scheduler: 'scheduler',
  eventbridge: 'events',
  'cost-explorer': 'ce',
  glue: 'glue',
};
/** Commands whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket' };
/** Authorisation around the calls rather than calls of their own (documented beside the policy). */
const NOT_CALLS = new Set(['iam:PassRole', 'redshift:GetClusterCredentials', 'redshift:GetClusterCredentialsWithIAM', 'redshift-serverless:GetCredentials', 'secretsmanager:GetSecretValue']);

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(path);
    else if (e.name.endsWith('.ts')) yield path;
  }
}

/** `service:Action` for every `XxxCommand` imported from an `@aws-sdk/client-*` package in src/. */
function actionsCalled(): Set<string> {
  const actions = new Set<string>();
  for (const file of tsFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (const [, names, pkg] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const [, command] of names!.matchAll(/\b([A-Z]\w*)Command\b/g)) {
        const action = `${IAM_PREFIX[pkg!] ?? `unknown-package-${pkg}`}:${command}`;
        actions.add(IAM_ACTION[action] ?? action);
      }
    }
  }
  return actions;
}

function policyActions(): Set<string> {
  const doc = readFileSync('docs/deploy.md', 'utf8');
  const json = /## AWS IAM policy[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)![1]!;
  const policy = JSON.parse(json) as { Statement: Array<{ Action: string | string[] }> };
  return new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
}

describe('issue 15: the IAM policy in docs/deploy.md', () => {
  it('grants every AWS action the code calls', () => {
    const called = actionsCalled();
    expect(called.size).toBeGreaterThan(20);
    const granted = policyActions();
    expect([...called].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('grants nothing the code does not call, besides the sign-in and PassRole permissions around the calls', () => {
    const called = actionsCalled();
    expect([...policyActions()].filter((a) => !called.has(a) && !NOT_CALLS.has(a)).sort()).toEqual([]);
  });
});
