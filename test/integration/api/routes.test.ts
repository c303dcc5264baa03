import { nodeHarness } from "./node-harness.ts";
import { describeRouteSuite } from "./route-suite.ts";

describeRouteSuite("Node + SQLite", nodeHarness);
