import { describeHardeningSuite } from "../integration/api/hardening-suite.ts";
import { d1Harness } from "./d1-harness.ts";

describeHardeningSuite("workerd + D1", d1Harness);
