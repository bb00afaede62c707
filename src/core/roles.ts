/**
 * The jobs exactly one process does at a time when several share a PostgreSQL database: the
 * Discord connection, the schedules, the status checker, escalation batching and reminders, and
 * outbox delivery. Workers (claiming tasks) are not a role: any number of processes work.
 */
export const ROLES = ["gateway", "scheduler", "checker", "escalations", "delivery"] as const;

export type Role = (typeof ROLES)[number];
