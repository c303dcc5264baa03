import dnsPacket from "dns-packet";
import { describe, expect, it, vi } from "vitest";
import { cidr, embed } from "../../../src/core/index.ts";
import { OBSERVER_WAIT_MS } from "../../../src/relay-agent/dns/handler.ts";
import { Rcode } from "../../../src/relay-agent/dns/wire.ts";
import { handlerHarness, PREFIX } from "./harness.ts";

const synth = (ipv4: string) => embed(cidr(PREFIX), ipv4);

describe("answering queries under the split zone", () => {
  it("synthesizes AAAA from the real name's A records, owner as asked", async () => {
    const { upstream, ask } = handlerHarness();
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2", ttl: 90 }]);
    const answer = await ask("WeB.r9929", "AAAA");
    expect(answer?.rcode).toBe(Rcode.NOERROR);
    expect(answer?.packet.answers).toEqual([
      expect.objectContaining({
        name: "WeB.r9929",
        type: "AAAA",
        ttl: 90,
        data: synth("100.100.1.2"),
      }),
    ]);
    expect(answer?.packet.authorities).toEqual([]);
    expect(upstream.asked).toEqual(["web.tail1234.ts.net"]);
  });

  it("answers the second query from cache with the TTL counting down", async () => {
    const { upstream, ask, metrics } = handlerHarness();
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2", ttl: 90 }]);
    await ask("web.r9929", "AAAA");
    const again = await ask("web.r9929", "AAAA");
    expect(again?.packet.answers?.[0]).toEqual(
      expect.objectContaining({ data: synth("100.100.1.2") }),
    );
    expect(upstream.asked).toHaveLength(1);
    expect(metrics.cacheHits).toBe(1);
    expect(metrics.cacheMisses).toBe(1);
  });

  it("asks the upstream once for many concurrent misses of one name", async () => {
    const { upstream, ask } = handlerHarness();
    upstream.delayMs = 50;
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2" }]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask("web.r9929", "AAAA")));
    expect(answers.every((answer) => answer?.packet.answers?.length === 1)).toBe(true);
    expect(upstream.asked).toEqual(["web.tail1234.ts.net"]);
  });

  it("answers SERVFAIL when every upstream fails and nothing is cached", async () => {
    const { upstream, ask } = handlerHarness();
    upstream.failAfterMs = 5;
    const answer = await ask("web.r9929", "AAAA");
    expect(answer?.rcode).toBe(Rcode.SERVFAIL);
    expect(answer?.packet.questions).toEqual([expect.objectContaining({ name: "web.r9929" })]);
    expect(answer?.packet.answers).toEqual([]);
  });

  it("does not make other names wait behind a dead upstream lookup", async () => {
    const { upstream, ask } = handlerHarness();
    upstream.set("hot.tail1234.ts.net", [{ type: "A", data: "100.100.1.3" }]);
    await ask("hot.r9929", "AAAA");
    upstream.failAfterMs = 2000;
    const slow = ask("cold.r9929", "AAAA", { waitMs: 4000 });
    const started = performance.now();
    const hot = await ask("hot.r9929", "AAAA");
    // Far below the 2 s the dead lookup takes: the hot name did not queue behind it.
    expect(performance.now() - started).toBeLessThan(500);
    expect(hot?.packet.answers).toHaveLength(1);
    expect((await slow)?.rcode).toBe(Rcode.SERVFAIL);
  });

  it("answers NODATA with the split SOA for A and other types without asking the upstream", async () => {
    const { upstream, ask } = handlerHarness();
    // 65 HTTPS, 64 SVCB (RFC 9460), 255 ANY: their records would leak the real path.
    const types: (dnsPacket.RecordType | number)[] = [
      "A",
      65,
      64,
      "MX",
      "TXT",
      255,
      "CNAME",
      "SRV",
    ];
    for (const type of types) {
      const answer = await ask("web.r9929", type);
      expect(answer?.rcode).toBe(Rcode.NOERROR);
      expect(answer?.packet.answers).toEqual([]);
      expect(answer?.packet.authorities).toEqual([
        expect.objectContaining({ type: "SOA", name: "r9929" }),
      ]);
    }
    expect(upstream.asked).toEqual([]);
  });

  it("answers REFUSED outside every split zone, for non-IN classes, and to sources outside allowFrom", async () => {
    const { ask, metrics } = handlerHarness();
    expect((await ask("web.tail1234.ts.net", "AAAA"))?.rcode).toBe(Rcode.REFUSED);
    expect((await ask("web.r9929", "AAAA", { source: "192.0.2.1" }))?.rcode).toBe(Rcode.REFUSED);
    expect((await ask("web.r9929", "AAAA", { source: "::ffff:192.0.2.1" }))?.rcode).toBe(
      Rcode.REFUSED,
    );
    const chaos = dnsPacket.encode({
      type: "query",
      id: 5,
      questions: [{ type: "TXT", name: "web.r9929", class: "CH" }],
    });
    expect((await ask("", "TXT", { raw: chaos }))?.rcode).toBe(Rcode.REFUSED);
    const rendered = await metrics.render();
    expect(rendered).toMatch(/nat64_relay_dns_refused_total\{reason="zone"\} 1/);
    expect(rendered).toMatch(/nat64_relay_dns_refused_total\{reason="source"\} 2/);
    expect(rendered).toMatch(/nat64_relay_dns_refused_total\{reason="class"\} 1/);
    expect(rendered).toMatch(/nat64_relay_dns_queries_total\{qtype="AAAA",rcode="REFUSED"\} 3/);
  });

  it("lets Tailscale sources and loopback query", async () => {
    const { upstream, ask } = handlerHarness();
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2" }]);
    for (const source of ["100.100.9.9", "fd7a:115c:a1e0::5", "::1", "::ffff:100.64.0.1"]) {
      expect((await ask("web.r9929", "AAAA", { source }))?.rcode).toBe(Rcode.NOERROR);
    }
  });

  it("refuses or drops a source past its token bucket, as configured", async () => {
    const refusing = handlerHarness({
      rateLimit: { queriesPerSecond: 1, burst: 2, action: "refuse" },
    });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await refusing.ask("r9929", "SOA"))?.rcode);
    expect(codes).toEqual([Rcode.NOERROR, Rcode.NOERROR, Rcode.REFUSED, Rcode.REFUSED]);
    const dropping = handlerHarness({
      rateLimit: { queriesPerSecond: 1, burst: 1, action: "drop" },
    });
    expect((await dropping.ask("r9929", "SOA"))?.rcode).toBe(Rcode.NOERROR);
    expect(await dropping.ask("r9929", "SOA", { waitMs: 50 })).toBeUndefined();
  });

  it("tells the observer the synthesized IPv4s and TTL before the answer goes out", async () => {
    const events: string[] = [];
    const observer = vi.fn(async (ipv4s: readonly string[], ttl: number) => {
      events.push(`observed ${ipv4s.join(",")} ${ttl}`);
    });
    const { upstream, handler } = handlerHarness({}, observer);
    upstream.set("web.tail1234.ts.net", [
      { type: "A", data: "100.100.1.2", ttl: 50 },
      { type: "A", data: "127.0.0.1", ttl: 50 },
    ]);
    const { encodeAsk } = await import("../../integration/dns/dns-client.ts");
    await new Promise<void>((resolve) =>
      handler.handle(encodeAsk({ name: "web.r9929", type: "AAAA" }, 1), "127.0.0.1", "udp", () => {
        events.push("answered");
        resolve();
      }),
    );
    expect(events).toEqual(["observed 100.100.1.2 50", "answered"]);
  });

  it("answers anyway when the observer hangs, after a bounded wait", async () => {
    const { upstream, ask } = handlerHarness({}, () => new Promise<void>(() => {}));
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2" }]);
    const started = performance.now();
    const answer = await ask("web.r9929", "AAAA", { waitMs: 3000 });
    expect(answer?.packet.answers).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(OBSERVER_WAIT_MS - 5);
  });

  it("answers FORMERR to malformed queries and drops responses", async () => {
    const { ask } = handlerHarness();
    const formerr = await ask("", "A", {
      raw: Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0]),
    });
    expect(formerr?.rcode).toBe(Rcode.FORMERR);
    expect(formerr?.packet.id).toBe(7);
    const response = Buffer.from([0, 7, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await ask("", "A", { raw: response, waitMs: 50 })).toBeUndefined();
  });

  it("writes one structured log line per query when queryLog is on, and none when off", async () => {
    const lines: string[] = [];
    const logged = handlerHarness({ queryLog: true }, undefined, lines, "nat64-relay-agent");
    await logged.ask("web.r9929", "A");
    await logged.ask("elsewhere.example", "AAAA");
    await logged.ask("web.r9929", "MX");
    const entries = lines.map((line) => JSON.parse(line));
    const pick = ({ name, msg, source, qname, qtype, rcode, tc }: Record<string, unknown>) => ({
      name,
      msg,
      source,
      qname,
      qtype,
      rcode,
      tc,
    });
    expect(entries.map(pick)).toEqual([
      {
        name: "nat64-relay-agent",
        msg: "dns query",
        source: "127.0.0.1",
        qname: "web.r9929",
        qtype: "A",
        rcode: "NOERROR",
        tc: false,
      },
      {
        name: "nat64-relay-agent",
        msg: "dns query",
        source: "127.0.0.1",
        qname: "elsewhere.example",
        qtype: "AAAA",
        rcode: "REFUSED",
        tc: false,
      },
      {
        name: "nat64-relay-agent",
        msg: "dns query",
        source: "127.0.0.1",
        qname: "web.r9929",
        qtype: "MX",
        rcode: "NOERROR",
        tc: false,
      },
    ]);
    expect(entries.map((entry) => [entry.queryBytes > 12, entry.answerBytes > 12])).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
    // One key per field: the logger's `name` is the only one (JSON.parse would hide a second).
    for (const line of lines) expect(line.match(/"name":/g)).toHaveLength(1);
    const quiet: string[] = [];
    await handlerHarness({}, undefined, quiet).ask("web.r9929", "A");
    expect(quiet).toEqual([]);
  });
});
