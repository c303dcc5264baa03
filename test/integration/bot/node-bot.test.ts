import { describeBotSuite } from "./bot-suite.ts";
import { nodeBotHarness } from "./node-harness.ts";

describeBotSuite("Node + Bolt + SQLite", () => nodeBotHarness());
