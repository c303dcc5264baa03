import { describeRouteSuite } from "../integration/api/route-suite.ts";
import { d1Harness } from "./d1-harness.ts";

describeRouteSuite("workerd + D1", d1Harness);
