// Slack confirmation rows: which posted message tells about which change.
import { eq, isNull } from "drizzle-orm";
import type { Database } from "./database.ts";
import { slackConfirmations } from "./schema.ts";

export interface SlackConfirmationRecord {
  readonly id: number;
  readonly channel: string;
  readonly messageTs: string;
  readonly kind: "add" | "remove";
  readonly splitDomain: string;
  readonly realSuffix: string;
  readonly relay: string;
  readonly revision: number;
  readonly requestedBy: string;
  readonly warnings: string;
  readonly rendered: string;
  readonly createdAt: string;
  readonly closedAt: string | null;
}

export type NewSlackConfirmation = Omit<SlackConfirmationRecord, "id" | "closedAt">;

export async function insertSlackConfirmation(
  database: Database,
  row: NewSlackConfirmation,
): Promise<number> {
  const inserted = await database.db
    .insert(slackConfirmations)
    .values(row)
    .returning({ id: slackConfirmations.id })
    .get();
  return inserted.id;
}

export async function listOpenSlackConfirmations(
  database: Database,
): Promise<SlackConfirmationRecord[]> {
  return database.db
    .select()
    .from(slackConfirmations)
    .where(isNull(slackConfirmations.closedAt))
    .orderBy(slackConfirmations.id)
    .all();
}

export async function saveSlackConfirmation(
  database: Database,
  id: number,
  change: { rendered: string; closedAt: string | null },
): Promise<void> {
  await database.db
    .update(slackConfirmations)
    .set(change)
    .where(eq(slackConfirmations.id, id))
    .run();
}
