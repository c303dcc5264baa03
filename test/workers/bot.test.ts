import { describeBotSuite } from "../integration/bot/bot-suite.ts";
import { workerBotHarness } from "./bot-harness.ts";

describeBotSuite("workerd + D1", workerBotHarness);
