CREATE TABLE `routing_examples` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`text` text NOT NULL,
	`category` text NOT NULL,
	`from_category` text,
	`origin` text NOT NULL,
	`task_id` integer,
	`actor` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `routing_examples_category` ON `routing_examples` (`category`);