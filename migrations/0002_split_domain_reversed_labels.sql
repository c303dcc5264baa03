ALTER TABLE `split_domains` ADD `reversed_name` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `split_domains` ADD `reversed_real_suffix` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `split_domains_reversed_name` ON `split_domains` (`reversed_name`);--> statement-breakpoint
CREATE INDEX `split_domains_real_suffix` ON `split_domains` (`real_suffix`);--> statement-breakpoint
CREATE INDEX `split_domains_reversed_real_suffix` ON `split_domains` (`reversed_real_suffix`);--> statement-breakpoint
-- Backfill: labels in reverse order ("a.r9929" → "r9929.a") for rows written before this.
WITH RECURSIVE parts(id, rest, acc) AS (
  SELECT `name`, `name` || '.', '' FROM `split_domains`
  UNION ALL
  SELECT id, substr(rest, instr(rest, '.') + 1),
         substr(rest, 1, instr(rest, '.') - 1) || CASE WHEN acc = '' THEN '' ELSE '.' || acc END
  FROM parts WHERE rest <> ''
)
UPDATE `split_domains` SET `reversed_name` = (SELECT acc FROM parts WHERE parts.id = `split_domains`.`name` AND parts.rest = '');--> statement-breakpoint
WITH RECURSIVE parts(id, rest, acc) AS (
  SELECT `name`, `real_suffix` || '.', '' FROM `split_domains`
  UNION ALL
  SELECT id, substr(rest, instr(rest, '.') + 1),
         substr(rest, 1, instr(rest, '.') - 1) || CASE WHEN acc = '' THEN '' ELSE '.' || acc END
  FROM parts WHERE rest <> ''
)
UPDATE `split_domains` SET `reversed_real_suffix` = (SELECT acc FROM parts WHERE parts.id = `split_domains`.`name` AND parts.rest = '');
