-- A confirmation is now its task, done where the router placed it: the rows stored for them go.
-- A confirmation a person forgot had its row deleted; derived again it would come back, so each
-- such task (done since the oldest confirmation kept, a confirmation by the rule, and without a
-- row) keeps an `unconfirmed` row. (Catch-all tasks and tasks without a brief get one too; they
-- confirm nothing either way.)
INSERT INTO `routing_examples` ("text", "category", "from_category", "origin", "task_id", "actor", "at")
SELECT NULL, t."category", NULL, 'unconfirmed', t."id", 'steward', t."state_since"
FROM `tasks` t
WHERE t."state" = 'done'
  AND t."parent_id" IS NULL
  AND t."source" NOT LIKE 'webhook:%' AND t."source" NOT LIKE 'schedule:%' AND t."source" NOT LIKE 'pipeline:%'
  AND json_extract(t."routing", '$.category') = t."category"
  AND json_extract(t."routing", '$.rule') NOT IN ('explicit', 'reroute')
  AND t."state_since" >= (SELECT min("at") FROM `routing_examples` WHERE "origin" = 'confirmation')
  AND NOT EXISTS (
    SELECT 1 FROM `routing_examples` r WHERE r."origin" = 'confirmation' AND r."task_id" = t."id"
  );
--> statement-breakpoint
DELETE FROM `routing_examples` WHERE "origin" = 'confirmation';
