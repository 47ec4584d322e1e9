// A daemon's worker in its own process, for the SIGKILL test: takes scale jobs from the queue given in argv,
// prints "started <id>" when one starts, and never finishes it. Imports the built package (npx tsc -b packages/queue).
import { BullMqScaleQueue } from '../../dist/index.js';

const [redisUrl, prefix, queueName, lockDurationMs, stalledIntervalMs] = process.argv.slice(2);
const queue = new BullMqScaleQueue({
  redisUrl,
  prefix,
  queueName,
  lockDurationMs: Number(lockDurationMs),
  stalledIntervalMs: Number(stalledIntervalMs),
});
queue.subscribe((event) => {
  if (event.type === 'error') process.stderr.write(`queue error: ${event.error.message}\n`);
});
queue.process((job) => {
  process.stdout.write(`started ${job.id}\n`);
  return new Promise(() => undefined);
});
process.stdout.write('ready\n');
