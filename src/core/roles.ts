/**
 * The jobs exactly one process does at a time when several share a PostgreSQL database: the
 * Discord connection, the schedules, the status checker, escalation batching and reminders, and
 * outbox delivery. Workers (claiming tasks) are not a role: any number of processes work.
 */
export const ROLES = ["gateway", "scheduler", "checker", "escalations", "delivery"] as const;

export type Role = (typeof ROLES)[number];

export interface RoleHandlers {
  /** This process now holds the role: start doing its job. */
  onAcquired?(): void;
  /** It lost the role (its hold on the database broke): stop doing its job now. */
  onLost?(error: Error): void;
}

/**
 * Which roles this process holds. On PostgreSQL each is an advisory lock (`src/db/pg/leadership.ts`);
 * on SQLite the one process holds them all (`everyRole`).
 */
export interface Roles {
  /** Other processes may hold the roles: taking or losing one is news. */
  readonly shared: boolean;
  /** Asks for `role`: `onAcquired` once this process holds it, however long that takes. */
  hold(role: Role, handlers?: RoleHandlers): void;
  held(): ReadonlySet<Role>;
  /** Gives every role up. */
  close(): Promise<void>;
}

/** Every role, held from the start and never lost: the one process on a SQLite file. */
export function everyRole(): Roles {
  const holding: ReadonlySet<Role> = new Set(ROLES);
  return {
    shared: false,
    hold(_role, handlers) {
      handlers?.onAcquired?.();
    },
    held: () => holding,
    close: async () => {},
  };
}

/** No role at all: a process that only works (`steward worker`). */
export function noRole(): Roles {
  return { shared: true, hold() {}, held: () => new Set(), close: async () => {} };
}

/** `roles`, calling `changed` after each role this process takes or loses. */
export function observedRoles(roles: Roles, changed: () => void): Roles {
  return {
    shared: roles.shared,
    hold(role, handlers) {
      roles.hold(role, {
        onAcquired() {
          handlers?.onAcquired?.();
          changed();
        },
        onLost(error) {
          handlers?.onLost?.(error);
          changed();
        },
      });
    },
    held: () => roles.held(),
    close: () => roles.close(),
  };
}
