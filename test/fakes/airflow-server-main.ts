/**
 * Runs FakeAirflow as its own process for end-to-end tests:
 * `tsx test/fakes/airflow-server-main.ts [port] [token]` prints
 * `{"service":"airflow","url":"http://127.0.0.1:…","token":"…"}` as one JSON line, then serves
 * until SIGTERM/SIGINT. Drive it with `POST /__fake/control`.
 */
import { FakeAirflow } from './airflow-server.ts';

const fake = await FakeAirflow.start({ port: Number(process.argv[2] ?? 0), token: process.argv[3] });
process.stdout.write(`${JSON.stringify({ service: 'airflow', url: fake.url, token: fake.token })}\n`);
const stop = (): void => void fake.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
