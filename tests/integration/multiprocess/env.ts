import { join } from "node:path";
import { ROOT } from "../../steward-process.js";

/** The multi-process tests' config: a `work` category whose module worker reports each run. */
export const CONFIG = join(ROOT, "tests/fixtures/multiprocess/steward.yaml");

/** Where outputs go in a test that delivers none: a port nothing listens on. */
const NOWHERE = "http://127.0.0.1:9/unused";

/** The environment of a test's Steward processes on the database at `url`. */
export function stewardEnv(
  url: string,
  receiverUrl = NOWHERE,
  more: Record<string, string> = {},
): Record<string, string> {
  return { STEWARD_DB: url, STEWARD_CONFIG: CONFIG, RECEIVER_URL: receiverUrl, ...more };
}
