CREATE TABLE `anomalies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule` text NOT NULL,
	`task_id` integer,
	`subject` text NOT NULL,
	`detail` text NOT NULL,
	`detected_at` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `anomalies_open` ON `anomalies` (`resolved_at`,`rule`,`subject`);--> statement-breakpoint
CREATE INDEX `anomalies_detected` ON `anomalies` (`detected_at`);--> statement-breakpoint
CREATE TABLE `attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`number` integer NOT NULL,
	`worker` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`outcome` text NOT NULL,
	`failure_class` text,
	`error` text,
	`meta` text,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attempts_task` ON `attempts` (`task_id`,`number`);--> statement-breakpoint
CREATE INDEX `attempts_ended` ON `attempts` (`ended_at`,`outcome`,`failure_class`,`task_id`);--> statement-breakpoint
CREATE TABLE `escalation_tasks` (
	`escalation_id` integer NOT NULL,
	`task_id` integer NOT NULL,
	`reason` text NOT NULL,
	`added_at` integer NOT NULL,
	`resolved_at` integer,
	`resolution` text,
	PRIMARY KEY(`escalation_id`, `task_id`),
	FOREIGN KEY (`escalation_id`) REFERENCES `escalations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `escalation_tasks_task` ON `escalation_tasks` (`task_id`);--> statement-breakpoint
CREATE TABLE `escalations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`state` text NOT NULL,
	`root_cause` text NOT NULL,
	`failure_class` text,
	`category` text,
	`worker` text,
	`summary` text NOT NULL,
	`urgent` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`post_after` integer NOT NULL,
	`posted_at` integer,
	`reminded_at` integer,
	`resolved_at` integer,
	`resolution` text,
	`resolved_by` text
);
--> statement-breakpoint
CREATE INDEX `escalations_state` ON `escalations` (`state`,`post_after`);--> statement-breakpoint
CREATE INDEX `escalations_root` ON `escalations` (`root_cause`,`state`);--> statement-breakpoint
CREATE INDEX `escalations_created` ON `escalations` (`created_at`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`worker` text NOT NULL,
	`error` text NOT NULL,
	`started_at` integer NOT NULL,
	`next_probe_at` integer NOT NULL,
	`probes` integer DEFAULT 0 NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `incidents_open` ON `incidents` (`resolved_at`,`worker`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`task_id` integer,
	`escalation_id` integer,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`deliver_after` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`delivered_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_key` ON `outbox` (`key`);--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`delivered_at`,`deliver_after`);--> statement-breakpoint
CREATE TABLE `schedule_runs` (
	`name` text PRIMARY KEY NOT NULL,
	`last_fired_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `task_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`from` text NOT NULL,
	`to` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`data` text,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `task_events_task` ON `task_events` (`task_id`,`id`);--> statement-breakpoint
CREATE INDEX `task_events_at` ON `task_events` (`at`);--> statement-breakpoint
CREATE INDEX `task_events_from` ON `task_events` (`from`,`id`);--> statement-breakpoint
CREATE INDEX `task_events_actions` ON `task_events` (`at`,`task_id`) WHERE json_extract("data", '$.action') IS NOT NULL;--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`state` text NOT NULL,
	`objective` text DEFAULT '' NOT NULL,
	`inputs` text DEFAULT '[]' NOT NULL,
	`constraints` text DEFAULT '[]' NOT NULL,
	`output_format` text DEFAULT '' NOT NULL,
	`acceptance_criteria` text DEFAULT '[]' NOT NULL,
	`missing_fields` text DEFAULT '[]' NOT NULL,
	`feedback` text DEFAULT '[]' NOT NULL,
	`category` text NOT NULL,
	`routing` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`next_run_at` integer NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`parent_id` integer,
	`next_id` integer,
	`requester` text NOT NULL,
	`source` text NOT NULL,
	`source_ref` text DEFAULT '{}' NOT NULL,
	`dedupe_key` text,
	`output` text,
	`output_meta` text,
	`delivered_at` integer,
	`failure_class` text,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`state_since` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tasks_claim` ON `tasks` (`state`,`category`,`priority`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `tasks_state_since` ON `tasks` (`state`,`state_since`);--> statement-breakpoint
CREATE INDEX `tasks_lease` ON `tasks` (`state`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `tasks_created` ON `tasks` (`created_at`,`category`,`state`,`state_since`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_dedupe` ON `tasks` (`source`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `tasks_stall` ON `tasks` (`state`,`category`,`state_since`);--> statement-breakpoint
CREATE INDEX `tasks_undelivered` ON `tasks` (`state_since`) WHERE "state" = 'done' AND "delivered_at" IS NULL;--> statement-breakpoint
CREATE INDEX `tasks_missing_next` ON `tasks` (`category`,`state_since`) WHERE "state" = 'done' AND "next_id" IS NULL;