import pg from "pg";

/**
 * A connection of its own, outside the pool, for what lives as long as a session does (a role's
 * lock, a LISTEN): `broke` is told once when it errors or ends. A query slower than two ticks
 * fails (a cut network shows as a check that hangs), and a session idle for five ticks is ended
 * by the server, which so frees what it held if this process stops ticking without its
 * connection visibly dying. The caller checks it every `everyMs`, and ends it when told.
 */
export async function openDedicated(
  url: string,
  everyMs: number,
  broke: (error: Error) => void,
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    keepAlive: true,
    connectionTimeoutMillis: everyMs * 2,
    query_timeout: everyMs * 2,
    options: `-c idle_session_timeout=${everyMs * 5}`,
  });
  let told = false;
  const tell = (error: Error) => {
    if (told) return;
    told = true;
    broke(error);
  };
  client.on("error", tell);
  client.on("end", () => tell(new Error("the connection ended")));
  try {
    await client.connect();
  } catch (error) {
    told = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** Ends a connection without waiting: one that broke may never answer. */
export function abandon(client: pg.Client | undefined): void {
  client?.end().catch(() => undefined);
}
