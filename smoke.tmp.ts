import { diffDatasets, withDuckDb } from './src/diff/index.ts';
const dir = '/tmp/unl/nest';
await withDuckDb({}, async (db) => {
  await db.run(`COPY (SELECT 1 AS id, MAP {'a': 1, 'b': 2} AS m, {'x': 1, 'y': 'p'} AS s, [MAP {'k': 1, 'j': 2}] AS lm UNION ALL SELECT 2, NULL, NULL, NULL UNION ALL SELECT 3, MAP {'z': 1}, {'x': 3, 'y': 'q'}, []) TO '${dir}-l.parquet'`);
  await db.run(`COPY (SELECT 1 AS id, MAP {'b': 2, 'a': 1} AS m, {'y': 'p', 'x': 1} AS s, [MAP {'j': 2, 'k': 1}] AS lm UNION ALL SELECT 2, NULL, NULL, NULL UNION ALL SELECT 3, MAP {'z': 2}, {'y': 'q', 'x': 4}, []) TO '${dir}-t.parquet'`);
});
const r = await diffDatasets({ legacy: { path: `${dir}-l.parquet` }, target: { path: `${dir}-t.parquet` }, key: ['id'], strategy: 'join' });
console.log(JSON.stringify({ verdict: r.verdict, schema: r.schema, counts: r.counts, columns: r.columns }));
const r2 = await diffDatasets({ legacy: { path: `${dir}-l.parquet` }, target: { path: `${dir}-t.parquet` }, key: ['id'], strategy: 'buckets', joinBelowRows: 0 });
console.log(JSON.stringify({ verdict: r2.verdict, counts: r2.counts, strategy: r2.strategy }));
