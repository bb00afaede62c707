// The thread of WalCheckpointer (checkpointer.ts): copies the write-ahead log into the
// database file every `everyMs`, on a connection of its own. Plain JavaScript because a worker
// thread loads its file with Node's own loader, which reads no TypeScript.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { file, everyMs } = workerData;
let db;
try {
  db = new Database(file, { fileMustExist: true });
} catch (error) {
  // Said here: an error thrown out of a thread reaches the parent without its message.
  parentPort?.postMessage({ error: `cannot open ${file}: ${String(error)}` });
  process.exit(1);
}
// Started: the process may take requests without this thread's start-up competing with them.
parentPort?.postMessage({ ready: true });

const timer = setInterval(() => {
  try {
    // PASSIVE copies what no reader still needs and never waits on the writer.
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort?.postMessage({ error: String(error) });
  }
}, everyMs);

parentPort?.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
