/**
 * Test helper for file-outbox.test.ts (run as a child process, then SIGKILLed):
 * appends `{ n }` records one by one to the outbox in argv[2] and prints n + 1
 * after each append resolved, i.e. once the record is durable.
 */
import { FileOutbox } from "./file-outbox.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: file-outbox.crash-writer.ts <dir>");
const outbox = await FileOutbox.open({ dir });
for (let n = 0; ; n++) {
  await outbox.append({ n, pad: "x".repeat(100) });
  process.stdout.write(`${n + 1}\n`);
}
