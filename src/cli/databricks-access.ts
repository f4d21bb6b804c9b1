import type { Config } from '../config/load-config.ts';
import { UnityCatalogClient, type UnityCatalogAccess } from '../datasets/index.ts';
import { OAuthM2MTokenSource, personalAccessToken, type TokenSource } from '../engines/databricks/token-source.ts';

/** A PAT or OAuth M2M token source from DATABRICKS_HOST and its credentials, when they are set. */
export function databricksTokens(config: Config): TokenSource | undefined {
  const { host, token, clientId, clientSecret } = config.databricks;
  if (!host || !(token || (clientId && clientSecret))) return undefined;
  return token ? personalAccessToken(token) : new OAuthM2MTokenSource({ host, clientId: clientId as string, clientSecret: clientSecret as string, fetch: globalThis.fetch, now: Date.now });
}

/** Unity Catalog for `table:` datasets and `uc:` sources read with the Delta reader (no warehouse needed). */
export function unityCatalogOf(config: Config): UnityCatalogAccess | undefined {
  const tokens = databricksTokens(config);
  const host = config.databricks.host;
  if (!tokens || !host) return undefined;
  return { client: new UnityCatalogClient({ host, getToken: () => tokens.token() }), s3: { region: config.aws.region, endpoint: config.aws.endpoints.s3 } };
}
