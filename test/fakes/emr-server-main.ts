/**
 * Runs FakeEmr as its own process for end-to-end tests:
 * `tsx test/fakes/emr-server-main.ts [port]` prints `{"service":"emr","url":"http://127.0.0.1:…"}`
 * as one JSON line, then serves until SIGTERM/SIGINT. Drive it with `POST /__fake/control`.
 */
import { FakeEmr } from './emr-server.ts';

const fake = await FakeEmr.start({ port: Number(process.argv[2] ?? 0) });
process.stdout.write(`${JSON.stringify({ service: 'emr', url: fake.url })}\n`);
const stop = (): void => void fake.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
