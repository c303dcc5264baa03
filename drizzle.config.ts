// drizzle-kit: `npx drizzle-kit generate` writes migrations/NNNN_name.sql, the layout both the
// Node migrator (migrations/meta/_journal.json) and `wrangler d1 migrations apply` read.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/api/storage/schema.ts",
  out: "./migrations",
});
