import { silentLogger } from "@taskflow/kafka";
import { RabbitMqJobQueue } from "../rabbitmq-job-queue.ts";

/**
 * Test fixture (rabbitmq-job-queue.integration.test.ts): a worker process whose handler
 * never finishes. It prints `handling <nodeId>` per job, so the test knows the job is held
 * unacknowledged here, then SIGKILLs it. Configured by RABBITMQ_URL and JOBS_QUEUE.
 */
const url = process.env.RABBITMQ_URL;
const queueName = process.env.JOBS_QUEUE;
if (!url || !queueName) throw new Error("RABBITMQ_URL and JOBS_QUEUE must be set");

const queue = await RabbitMqJobQueue.create({
  url,
  queue: queueName,
  clientId: "stuck-consumer-fixture",
  logger: silentLogger,
  onConnectionLost: () => process.exit(1),
});
await queue.consume(async (job) => {
  process.stdout.write(`handling ${job.nodeId}\n`);
  await new Promise(() => undefined);
});
process.stdout.write("consuming\n");
