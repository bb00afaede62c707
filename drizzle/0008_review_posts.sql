CREATE TABLE `review_posts` (
	`month` text PRIMARY KEY NOT NULL,
	`queued_at` integer NOT NULL
);
