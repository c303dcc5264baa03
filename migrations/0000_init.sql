CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor` text NOT NULL,
	`verb` text NOT NULL,
	`input` text NOT NULL,
	`outcome` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `guards` (
	`ok` integer NOT NULL,
	CONSTRAINT "guard_state_unchanged" CHECK("guards"."ok" = 1)
);
--> statement-breakpoint
CREATE TABLE `relay_nodes` (
	`relay_id` text NOT NULL,
	`node_id` text NOT NULL,
	`hostname` text NOT NULL,
	`addresses` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`applied_revision` integer NOT NULL,
	`doctor` text,
	PRIMARY KEY(`relay_id`, `node_id`),
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `relays` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`pool` text NOT NULL,
	`engine` text NOT NULL,
	`settings` text NOT NULL,
	`version` integer NOT NULL,
	`config_revision` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `relays_name_unique` ON `relays` (`name`);--> statement-breakpoint
CREATE TABLE `split_domains` (
	`name` text PRIMARY KEY NOT NULL,
	`real_suffix` text NOT NULL,
	`relay_id` text NOT NULL,
	`created_by` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `split_domains_relay` ON `split_domains` (`relay_id`);--> statement-breakpoint
CREATE TABLE `state_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`value` integer NOT NULL,
	CONSTRAINT "state_version_single_row" CHECK("state_version"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `sync_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`report` text NOT NULL,
	`updated_at` text NOT NULL,
	CONSTRAINT "sync_state_single_row" CHECK("sync_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `tailscale_cleanups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`target` text NOT NULL,
	`node_id` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tailscale_cleanups_unique` ON `tailscale_cleanups` (`kind`,`target`,`node_id`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`relay_id` text,
	`secret_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text,
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tokens_relay` ON `tokens` (`relay_id`);