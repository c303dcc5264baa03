import { describe, expect, it } from "vitest";
import { TailscaleHttpClient } from "../../../src/api/tailscale/http-client.ts";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";

function clientFor(fake: FakeTailscaleApi, sleeps: number[], maxAttempts = 3) {
  return new TailscaleHttpClient({
    baseUrl: "http://127.0.0.1:9",
    tailnet: "-",
    auth: { kind: "apiKey", apiKey: "tskey-api-test" },
    fetch: fake.fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    maxAttempts,
    maxDelayMs: 10_000,
  });
}

describe("Tailscale HTTP client", () => {
  it("PATCHes only the domains given; null removes one and the answer is the full map", async () => {
    const fake = new FakeTailscaleApi();
    fake.splitDns = { a: ["1.1.1.1"], b: ["2.2.2.2"] };
    const map = await clientFor(fake, []).updateSplitDns({ b: null, c: ["3.3.3.3"] });
    expect(map).toEqual({ a: ["1.1.1.1"], c: ["3.3.3.3"] });
    expect(fake.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ["PATCH", "/tailnet/-/dns/split-dns", { b: null, c: ["3.3.3.3"] }],
    ]);
  });

  it("waits as long as Retry-After says, capped, and gives up after the attempt budget", async () => {
    const fake = new FakeTailscaleApi();
    fake.inject({ status: 429, retryAfterSeconds: 3, times: 2 });
    const sleeps: number[] = [];
    await clientFor(fake, sleeps).getSplitDns();
    expect(sleeps).toEqual([3000, 3000]);

    fake.inject({ status: 429, retryAfterSeconds: 60, times: 5 });
    const capped: number[] = [];
    await expect(clientFor(fake, capped).getSplitDns()).rejects.toMatchObject({
      code: "rate_limited",
      status: 429,
    });
    expect(capped).toEqual([10_000, 10_000]);
  });

  it("does not retry a 4xx other than 429", async () => {
    const fake = new FakeTailscaleApi();
    const sleeps: number[] = [];
    await expect(clientFor(fake, sleeps).getDeviceRoutes("nope")).rejects.toMatchObject({
      status: 404,
    });
    expect(sleeps).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it("replaces the enabled routes with exactly the list it is given", async () => {
    const fake = new FakeTailscaleApi();
    fake.addDevice({
      nodeId: "n1",
      hostname: "h",
      advertisedRoutes: ["10.0.0.0/8"],
      enabledRoutes: ["10.0.0.0/8"],
    });
    const routes = await clientFor(fake, []).replaceEnabledRoutes("n1", ["192.168.0.0/16"]);
    expect(routes.enabledRoutes).toEqual(["192.168.0.0/16"]);
  });
});
