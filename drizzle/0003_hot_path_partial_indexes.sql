DROP INDEX `tasks_claim`;--> statement-breakpoint
DROP INDEX `tasks_state_since`;--> statement-breakpoint
DROP INDEX `tasks_lease`;--> statement-breakpoint
DROP INDEX `tasks_dedupe`;--> statement-breakpoint
DROP INDEX `tasks_stall`;--> statement-breakpoint
CREATE INDEX `tasks_queue` ON `tasks` (`category`,`priority`,`next_run_at`) WHERE "state" = 'queued';--> statement-breakpoint
CREATE INDEX `tasks_retry_due` ON `tasks` (`next_run_at`) WHERE "state" = 'retry_wait';--> statement-breakpoint
CREATE INDEX `tasks_lease` ON `tasks` (`lease_expires_at`) WHERE "state" IN ('running', 'reviewing');--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_dedupe` ON `tasks` (`source`,`dedupe_key`) WHERE "dedupe_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_stall` ON `tasks` (`state`,`category`,`state_since`) WHERE "state" NOT IN ('done', 'cancelled');--> statement-breakpoint
DROP INDEX `attempts_ended`;--> statement-breakpoint
CREATE INDEX `attempts_ended` ON `attempts` (`ended_at`,`outcome`,`failure_class`,`task_id`) WHERE "ended_at" IS NOT NULL;--> statement-breakpoint
DROP INDEX `outbox_pending`;--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`deliver_after`) WHERE "delivered_at" IS NULL;