// Tables of the control API. SQLite dialect: the same schema and migrations serve node:sqlite
// (Node entry) and D1 (Workers entry).
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * One row (id = 1): the state version, bumped by every mutation. A mutation reads it, checks its
 * rules against what it read, and writes only if nobody else wrote in between (see `guards`).
 * Relays take it as their config revision when their agent config changes.
 */
export const stateVersion = sqliteTable(
  "state_version",
  {
    id: integer("id").primaryKey(),
    value: integer("value").notNull(),
  },
  (t) => [check("state_version_single_row", sql`${t.id} = 1`)],
);

/**
 * Optimistic-concurrency guard. A mutation batch starts by inserting `ok = (state version is
 * still what I read)`; the CHECK fails the statement otherwise and D1 / our node:sqlite batch
 * roll the whole batch back. Rows are deleted at the end of the same batch.
 */
export const guards = sqliteTable(
  "guards",
  {
    ok: integer("ok").notNull(),
  },
  (t) => [check("guard_state_unchanged", sql`${t.ok} = 1`)],
);

export const relays = sqliteTable("relays", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  prefix: text("prefix").notNull(),
  pool: text("pool").notNull(),
  engine: text("engine").notNull(),
  /** JSON: every RelaySettings key as validated (listen, upstreams, interfaces, advertise, ...). */
  settings: text("settings").notNull(),
  /** Bumped on each change of this row: the resource ETag. */
  version: integer("version").notNull(),
  /** State version of the last change to this relay's agent config (relay or its domains). */
  configRevision: integer("config_revision").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const relayNodes = sqliteTable(
  "relay_nodes",
  {
    relayId: text("relay_id")
      .notNull()
      .references(() => relays.id, { onDelete: "cascade" }),
    /** Tailscale stable node id as `tailscale status --json` reports it (Self.ID). */
    nodeId: text("node_id").notNull(),
    hostname: text("hostname").notNull(),
    /** JSON array of the node's Tailscale addresses. */
    addresses: text("addresses").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    appliedRevision: integer("applied_revision").notNull(),
    /** JSON doctor summary as the agent sent it, or null. */
    doctor: text("doctor"),
    /** JSON {lastApply, counters} of the node's last report, or null (docs/managed.md). */
    report: text("report"),
  },
  (t) => [primaryKey({ columns: [t.relayId, t.nodeId] })],
);

export const splitDomains = sqliteTable(
  "split_domains",
  {
    name: text("name").primaryKey(),
    realSuffix: text("real_suffix").notNull(),
    relayId: text("relay_id")
      .notNull()
      .references(() => relays.id),
    createdBy: text("created_by").notNull(),
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    /**
     * Labels in reverse order ("a.r9929" → "r9929.a"): names below X are then one index range
     * (X + "." up to X + "/"), so overlap checks need no table scan.
     */
    reversedName: text("reversed_name").notNull().default(""),
    reversedRealSuffix: text("reversed_real_suffix").notNull().default(""),
  },
  (t) => [
    index("split_domains_relay").on(t.relayId),
    index("split_domains_reversed_name").on(t.reversedName),
    index("split_domains_real_suffix").on(t.realSuffix),
    index("split_domains_reversed_real_suffix").on(t.reversedRealSuffix),
  ],
);

export const tokens = sqliteTable(
  "tokens",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: ["admin", "operator", "agent"] }).notNull(),
    /** Set for agent tokens: the one relay they may read and report for. */
    relayId: text("relay_id").references(() => relays.id, { onDelete: "cascade" }),
    /** Hex SHA-256 of the whole secret; the secret itself is never stored. */
    secretHash: text("secret_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [index("tokens_relay").on(t.relayId)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actor: text("actor").notNull(),
    verb: text("verb").notNull(),
    /** JSON of the verb's input, secrets left out. */
    input: text("input").notNull(),
    /** "ok" or an error code. */
    outcome: text("outcome").notNull(),
  },
  (t) => [index("audit_log_at").on(t.at)],
);

/**
 * Tailscale state we created and must take back: split DNS domains we set that no longer exist,
 * route approvals of deleted relays or old prefixes. The reconciler removes a row once done.
 */
export const tailscaleCleanups = sqliteTable(
  "tailscale_cleanups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["split_dns", "route"] }).notNull(),
    /** split_dns: the domain; route: the prefix. */
    target: text("target").notNull(),
    /** route: the node id the prefix was approved on; "" for split_dns. */
    nodeId: text("node_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("tailscale_cleanups_unique").on(t.kind, t.target, t.nodeId)],
);

/** One row (id = 1): the last reconciliation report as JSON, shown by GET /v1/status. */
export const syncState = sqliteTable(
  "sync_state",
  {
    id: integer("id").primaryKey(),
    report: text("report").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [check("sync_state_single_row", sql`${t.id} = 1`)],
);

/**
 * In-channel Slack confirmations of a change, so they can be updated (chat.update) when the
 * relay's nodes apply the revision or the reconciler finishes. Bookkeeping only: rows are not
 * relay state, so writing them bumps no state version.
 */
export const slackConfirmations = sqliteTable(
  "slack_confirmations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    channel: text("channel").notNull(),
    messageTs: text("message_ts").notNull(),
    kind: text("kind", { enum: ["add", "remove"] }).notNull(),
    splitDomain: text("split_domain").notNull(),
    realSuffix: text("real_suffix").notNull(),
    relay: text("relay").notNull(),
    /** The config revision the change produced: nodes that applied it (or later) are done. */
    revision: integer("revision").notNull(),
    /** slack:T…/U… of who asked. */
    requestedBy: text("requested_by").notNull(),
    warnings: text("warnings").notNull().default("[]"),
    /** The last text posted, so an unchanged state sends no update. */
    rendered: text("rendered").notNull(),
    createdAt: text("created_at").notNull(),
    /** Set when everything is done (or tracking gave up): no more updates. */
    closedAt: text("closed_at"),
  },
  (t) => [index("slack_confirmations_open").on(t.closedAt)],
);

export const schema = {
  stateVersion,
  guards,
  relays,
  relayNodes,
  splitDomains,
  tokens,
  auditLog,
  tailscaleCleanups,
  syncState,
  slackConfirmations,
};
