DROP INDEX `tasks_queue`;--> statement-breakpoint
CREATE INDEX `tasks_queue` ON `tasks` (`category`,"priority" DESC,`next_run_at`) WHERE "state" = 'queued';