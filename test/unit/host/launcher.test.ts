import { describe, expect, it } from "vitest";
import { unitLauncher } from "../../../src/relay-agent/install/launcher.ts";

describe("the command the unit starts", () => {
  it("is the installing node and the installed package's bin", () => {
    expect(
      unitLauncher({
        execPath: "/usr/bin/node",
        binScript: "/usr/lib/node_modules/nat64-relay/bin/nat64-relay.js",
        packageRoot: "/usr/lib/node_modules/nat64-relay",
      }),
    ).toEqual(["/usr/bin/node", "/usr/lib/node_modules/nat64-relay/bin/nat64-relay.js"]);
  });

  it("never names a checkout's bootstrapped node: it goes through the bootstrap script", () => {
    expect(
      unitLauncher({
        execPath: "/src/nat64-relay/.node24/package/bin/node",
        binScript: "/src/nat64-relay/bin/nat64-relay.js",
        packageRoot: "/src/nat64-relay",
      }),
    ).toEqual([
      "/bin/sh",
      "/src/nat64-relay/scripts/node24.sh",
      "node",
      "/src/nat64-relay/bin/nat64-relay.js",
    ]);
  });

  it("treats a sibling directory with the same name prefix as outside the package", () => {
    expect(
      unitLauncher({
        execPath: "/src/nat64-relay-node/bin/node",
        binScript: "/src/nat64-relay/bin/nat64-relay.js",
        packageRoot: "/src/nat64-relay",
      }),
    ).toEqual(["/src/nat64-relay-node/bin/node", "/src/nat64-relay/bin/nat64-relay.js"]);
  });
});
