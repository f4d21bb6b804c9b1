/**
 * `npm run bench [-- ack|diff|diff-floor|scale …]`: prints the figures the issues ask for, each as a ratio
 * against a baseline measured in the same run.
 */
import { formatAckFigures, runAckBench } from './ack-bench.ts';

const which = process.argv[2] ?? 'all';
const rest = process.argv.slice(3);

if (which === 'ack' || which === 'all') {
  const amount = 500;
  const connections = 20;
  const figures = await runAckBench({ amount, connections });
  console.log(formatAckFigures(figures, amount, connections));
}
if (which === 'diff' || which === 'all') {
  const { main } = await import('./diff-bench.ts');
  await main(rest);
}
if (which === 'scale') {
  const { main } = await import('./scale-bench.ts');
  await main(rest);
}
if (which === 'diff-floor') {
  const { main } = await import('./diff-floor.ts');
  await main(rest);
}
process.exit(0);
