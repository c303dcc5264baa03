import { describeHardeningSuite } from "./hardening-suite.ts";
import { nodeHarness } from "./node-harness.ts";

describeHardeningSuite("Node + SQLite", nodeHarness);
