#!/usr/bin/env node
// Entry for the `nat64-relay` command. Plain JavaScript that still parses on old Node, so it can
// say what is wrong there instead of crashing on a flag or a syntax error.
//  - Installed package (no src/ next to bin/): runs dist/, the JavaScript built from src/ by
//    `npm pack` (Node refuses to strip types under node_modules).
//  - Checkout (src/ is here): runs src/ through Node's type stripping (default from Node 22.18;
//    22.12–22.17 need the flag, so it re-executes itself with it).
//  - Node older than 22.12: in a checkout, re-runs itself through scripts/node24.sh (which
//    unpacks Node 24 from the npm registry once); elsewhere prints one line and exits 1.
//  - Modules are compiled once and kept in node_modules/.cache (Node's compile cache): most of
//    the start-up is loading modules (docs/design.md, "Start-up").
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";

const MINIMUM = [22, 12];
const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const script = fileURLToPath(import.meta.url);
const checkoutEntry = here("../src/cli.ts");
const packageEntry = here("../dist/cli.js");
const inCheckout = existsSync(checkoutEntry);

/** Runs `command` with the same stdio, passing on the signals systemd and shells send. */
function delegate(command, args, env) {
  const child = spawn(command, args, { stdio: "inherit", env });
  for (const signal of ["SIGHUP", "SIGTERM", "SIGINT"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("error", (error) => {
    console.error(`nat64-relay: cannot run ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * In this package's own node_modules/.cache, not the shared temp directory: a root agent must
 * not load code another user could have written. Worker threads and processes inherit it
 * through the environment. A cache that cannot be written is skipped by Node without an error.
 */
function enableCompileCache() {
  if (typeof nodeModule.enableCompileCache !== "function") return;
  const dir = process.env.NODE_COMPILE_CACHE ?? here("../node_modules/.cache/nat64-relay-compile");
  process.env.NODE_COMPILE_CACHE = dir;
  nodeModule.enableCompileCache(dir);
}

const [major, minor] = process.versions.node.split(".").map(Number);
const tooOld = major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1]);

if (tooOld && inCheckout && process.env.NAT64_RELAY_NODE_BOOTSTRAP !== "done") {
  delegate("sh", [here("../scripts/node24.sh"), "node", script, ...process.argv.slice(2)], {
    ...process.env,
    NAT64_RELAY_NODE_BOOTSTRAP: "done",
  });
} else if (tooOld) {
  console.error(
    `nat64-relay needs Node ≥ ${MINIMUM.join(".")} (this is ${process.version} at ${process.execPath}): install Node 24 LTS (https://nodejs.org/en/download) and run it again`,
  );
  process.exit(1);
} else if (inCheckout && !process.features.typescript) {
  delegate(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  );
} else {
  enableCompileCache();
  const { main } = await import(inCheckout ? checkoutEntry : packageEntry);
  process.exitCode = await main(process.argv.slice(2));
}
