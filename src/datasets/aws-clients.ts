import { GlueClient } from '@aws-sdk/client-glue';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { Config } from '../config/load-config.ts';

/** The AWS clients `glue:` and `redshift:` datasets are read with, from the app's AWS settings. */
export function awsDatasetClients(config: Pick<Config, 'aws'>): { glue: GlueClient; redshiftData: RedshiftDataClient } {
  const { region, endpoints } = config.aws;
  return {
    glue: new GlueClient({ region, ...(endpoints.glue ? { endpoint: endpoints.glue } : {}) }),
    redshiftData: new RedshiftDataClient({ region, ...(endpoints.redshiftData ? { endpoint: endpoints.redshiftData } : {}) }),
  };
}
