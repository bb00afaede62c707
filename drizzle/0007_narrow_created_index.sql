DROP INDEX `tasks_created`;--> statement-breakpoint
CREATE INDEX `tasks_created` ON `tasks` (`created_at`,`category`);