#!/usr/bin/env node
// Entry for the `nat64-relay` command. The sources are TypeScript run by Node's type
// stripping (on by default from Node 22.18; older 22.x need the flag, so re-exec with it).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

if (!process.features.typescript) {
  const result = spawnSync(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(result.status ?? 1);
}
const { main } = await import(fileURLToPath(new URL("../src/cli.ts", import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
