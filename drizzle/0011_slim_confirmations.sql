PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_routing_examples` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`text` text,
	`category` text NOT NULL,
	`from_category` text,
	`origin` text NOT NULL,
	`task_id` integer,
	`actor` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_routing_examples`("id", "text", "category", "from_category", "origin", "task_id", "actor", "at") SELECT "id", "text", "category", "from_category", "origin", "task_id", "actor", "at" FROM `routing_examples`;--> statement-breakpoint
-- The new table continues the old one's ids: a forgotten example's id is not given again.
DELETE FROM sqlite_sequence WHERE name = '__new_routing_examples';--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT '__new_routing_examples', seq FROM sqlite_sequence WHERE name = 'routing_examples';--> statement-breakpoint
DROP TABLE `routing_examples`;--> statement-breakpoint
ALTER TABLE `__new_routing_examples` RENAME TO `routing_examples`;--> statement-breakpoint
PRAGMA foreign_keys=ON;