import { asc, eq, isNull } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import {
  byLiveness,
  entryFields,
  type ProcessEntry,
  type ProcessList,
  type ProcessRegistry,
} from "../core/processes.js";
import type { Db } from "./connection.js";
import { processes } from "./schema.js";

/** The processes sharing the database, on SQLite (where there is one: this one). */
export class ProcessStore implements ProcessRegistry {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  register(entry: ProcessEntry): void {
    const now = this.clock.now();
    this.db
      .insert(processes)
      .values({ ...entryFields(entry), startedAt: now, heartbeatAt: now })
      .run();
  }

  beat(id: string, now: Pick<ProcessEntry, "roles" | "categories">): void {
    this.db
      .update(processes)
      .set({ roles: now.roles, categories: now.categories, heartbeatAt: this.clock.now() })
      .where(eq(processes.id, id))
      .run();
  }

  gone(id: string): void {
    this.db.update(processes).set({ goneAt: this.clock.now() }).where(eq(processes.id, id)).run();
  }

  list(staleAfterMs: number): ProcessList {
    const rows = this.db
      .select()
      .from(processes)
      .where(isNull(processes.goneAt))
      .orderBy(asc(processes.startedAt), asc(processes.id))
      .all();
    return byLiveness(
      rows.map(({ goneAt: _, ...rest }) => rest),
      this.clock.now(),
      staleAfterMs,
    );
  }
}
