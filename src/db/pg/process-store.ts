import { asc, eq, isNull } from "drizzle-orm";
import type { Clock } from "../../core/clock.js";
import {
  byLiveness,
  entryFields,
  type ProcessEntry,
  type ProcessList,
  type ProcessRegistry,
} from "../../core/processes.js";
import { processes } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** The processes sharing the database, on PostgreSQL: any number, on any hosts. */
export class PgProcessStore implements ProcessRegistry<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async register(entry: ProcessEntry): Promise<void> {
    const now = this.clock.now();
    await this.db
      .insert(processes)
      .values({ ...entryFields(entry), startedAt: now, heartbeatAt: now });
  }

  async beat(id: string, now: Pick<ProcessEntry, "roles" | "categories">): Promise<void> {
    await this.db
      .update(processes)
      .set({ roles: now.roles, categories: now.categories, heartbeatAt: this.clock.now() })
      .where(eq(processes.id, id));
  }

  async gone(id: string): Promise<void> {
    await this.db.update(processes).set({ goneAt: this.clock.now() }).where(eq(processes.id, id));
  }

  async list(staleAfterMs: number): Promise<ProcessList> {
    const rows = await this.db
      .select()
      .from(processes)
      .where(isNull(processes.goneAt))
      .orderBy(asc(processes.startedAt), asc(processes.id));
    return byLiveness(
      rows.map(({ goneAt: _, ...rest }) => rest),
      this.clock.now(),
      staleAfterMs,
    );
  }

  private get db() {
    return this.transactions.db;
  }
}
