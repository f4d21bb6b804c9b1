import { errorFromResponse, networkError } from '../../engines/databricks/api-error.ts';

/** The parts of Unity Catalog's `TableInfo` a reader needs (formats.md 3.1). */
export interface TableInfo {
  table_id: string;
  full_name?: string;
  /** `MANAGED`, `EXTERNAL`, `VIEW`, `MATERIALIZED_VIEW`, `STREAMING_TABLE`, … */
  table_type?: string;
  /** `DELTA`, `PARQUET`, `CSV`, `ICEBERG`, … */
  data_source_format?: string;
  storage_location?: string;
}

/** `POST …/temporary-table-credentials` (formats.md 3.2); only AWS credentials are used. */
export interface TemporaryTableCredentials {
  aws_temp_credentials?: { access_key_id: string; secret_access_key: string; session_token?: string };
  /** Epoch ms. */
  expiration_time?: number;
  url?: string;
  [other: string]: unknown;
}

export interface UnityCatalogClientOptions {
  /** Workspace URL; `http://127.0.0.1:PORT` works for tests. */
  host: string;
  /** A PAT or an OAuth access token, asked for on every request. */
  getToken: () => Promise<string>;
  fetch?: typeof fetch;
}

const BASE = '/api/2.1/unity-catalog';

/**
 * A thin typed client for the two Unity Catalog REST calls an external reader makes: the table's
 * metadata and temporary read credentials for its storage. Errors are ApiErrors with the API's
 * code (403 `PERMISSION_DENIED` when `EXTERNAL USE SCHEMA` is missing, 404 for an unknown table).
 */
export class UnityCatalogClient {
  readonly #host: string;
  readonly #fetch: typeof fetch;

  constructor(private readonly options: UnityCatalogClientOptions) {
    this.#host = options.host.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  getTable(fullName: string, signal?: AbortSignal): Promise<TableInfo> {
    return this.#call('GET', `${BASE}/tables/${encodeURIComponent(fullName)}`, undefined, signal);
  }

  temporaryTableCredentials(tableId: string, signal?: AbortSignal): Promise<TemporaryTableCredentials> {
    return this.#call('POST', `${BASE}/temporary-table-credentials`, { table_id: tableId, operation: 'READ' }, signal);
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const operation = `${method} ${path}`;
    const token = await this.options.getToken();
    let res: Response;
    try {
      res = await this.#fetch(`${this.#host}${path}`, {
        method,
        signal,
        redirect: 'manual',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw networkError(err, operation);
    }
    if (!res.ok) throw await errorFromResponse(res, operation, [token]);
    return (await res.json()) as T;
  }
}
