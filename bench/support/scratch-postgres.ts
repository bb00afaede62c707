import pg from "pg";

/** The server a benchmark creates its scratch databases on, through its `test` database. */
const SERVER = process.env.STEWARD_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

/** Runs `work` on a database of its own, created for it and dropped after, whatever happens. */
export async function withScratchDatabase<T>(
  label: string,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  const name = `steward_bench_${label}_${process.pid}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
