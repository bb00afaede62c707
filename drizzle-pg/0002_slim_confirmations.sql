DROP INDEX "routing_examples_category";--> statement-breakpoint
ALTER TABLE "routing_examples" ALTER COLUMN "text" DROP NOT NULL;