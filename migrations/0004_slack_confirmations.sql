CREATE TABLE `slack_confirmations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`message_ts` text NOT NULL,
	`kind` text NOT NULL,
	`split_domain` text NOT NULL,
	`real_suffix` text NOT NULL,
	`relay` text NOT NULL,
	`revision` integer NOT NULL,
	`requested_by` text NOT NULL,
	`warnings` text DEFAULT '[]' NOT NULL,
	`rendered` text NOT NULL,
	`created_at` text NOT NULL,
	`closed_at` text
);
--> statement-breakpoint
CREATE INDEX `slack_confirmations_open` ON `slack_confirmations` (`closed_at`);