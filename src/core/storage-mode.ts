/**
 * How a store answers. SQLite runs in the process and answers at once ("sync"); PostgreSQL is a
 * server several processes share and answers with promises ("async"). The ports are written once
 * for both (`TaskRepository<M>`, `QueueRepository<M>`, `Outbox<M>`, `EscalationGroups<M>`, the
 * read models' `MonitorStore<M>`, `ReviewQueries<M>`, `StatusReads<M>`…: `Store<M>` lists them),
 * and one contract suite (`tests/contract/`) holds both stores to them.
 */
export type StorageMode = "sync" | "async";

/** A store's answer: the value itself, or a promise of it. */
export type Answer<M extends StorageMode, T> = M extends "sync" ? T : Promise<T>;
