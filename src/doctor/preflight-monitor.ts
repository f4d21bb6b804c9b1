import { Gauge } from 'prom-client';
import type { Catalog } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createPreflightClients } from './clients.ts';
import { findingLine, runPreflight } from './run-preflight.ts';
import type { PreflightReport } from './types.ts';

/**
 * Runs the preflight once the app is up and then every `config.preflightIntervalMs`, keeping the
 * latest report for `/readyz` and `cutover_preflight_problems`. It logs when the set of problems
 * changes (each problem once as a warning), not on every round.
 */
export class PreflightMonitor {
  #latest?: PreflightReport;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #lastLines = '';
  readonly #gauge: Gauge;

  constructor(
    private readonly opts: { catalog: Catalog; config: Config; logger: Logger; metrics: Metrics },
  ) {
    this.#gauge = new Gauge({ name: 'cutover_preflight_problems', help: 'Problems the latest preflight found (cutover doctor)', registers: [opts.metrics.registry] });
  }

  latest(): PreflightReport | undefined {
    return this.#latest;
  }

  start(): void {
    const every = this.opts.config.preflightIntervalMs;
    if (every <= 0) return;
    const round = () => {
      this.#running ??= this.#round().finally(() => (this.#running = undefined));
    };
    round();
    this.#timer = setInterval(round, every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async #round(): Promise<void> {
    const { catalog, config, logger } = this.opts;
    try {
      const report = await runPreflight(catalog, config, { clients: createPreflightClients(config, logger) });
      this.#latest = report;
      this.#gauge.set(report.findings.length);
      const lines = report.findings.map(findingLine);
      if (lines.join('\n') === this.#lastLines) return;
      this.#lastLines = lines.join('\n');
      if (report.ok) logger.info({ targets: report.checked }, 'preflight: every engine, bucket, topic, warehouse and channel is reachable');
      for (const line of lines) logger.warn({ problem: line }, 'preflight problem');
    } catch (err) {
      logger.error({ err }, 'preflight failed to run');
    }
  }
}
