CREATE TABLE `chat_refs` (
	`kind` text NOT NULL,
	`subject_id` integer NOT NULL,
	`channel_id` text NOT NULL,
	`message_id` text NOT NULL,
	`thread_id` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `subject_id`)
);
