// `nat64-relay agent run --config <file with engine: none>` as a real process: answers over
// UDP and TCP, keeps a generated prefix, reloads on SIGHUP, stops on SIGTERM, fails fast on a
// bad file.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkNat64Prefix, embed } from "../../../src/core/index.ts";
import { agent, eventually } from "./agent-process.ts";
import { rrs, tcpQuery, udpQuery } from "./dns-client.ts";
import { HOSTS, REAL, rcodeOf, SPLIT, startRealUpstream } from "./lab.ts";
import { freePort, type NsdUpstream, stopChild } from "./nsd-upstream.ts";

let nsd: NsdUpstream;
let dir: string;

beforeAll(async () => {
  nsd = await startRealUpstream("127.0.53.14");
  dir = await mkdtemp(join(tmpdir(), "nat64-relay-agent-run-"));
});
afterAll(async () => {
  await nsd?.stop();
  await rm(dir, { recursive: true, force: true });
});

function configYaml(port: number, splitDomains: string[], extraUpstreams: string[] = []): string {
  return [
    "engine: none",
    `listen: ["127.0.0.1:${port}"]`,
    `upstreams: ${JSON.stringify([nsd.address, ...extraUpstreams])}`,
    "splitDomains:",
    ...splitDomains.map((name) => `  - { name: ${name}, realSuffix: ${REAL} }`),
  ].join("\n");
}

describe("agent run with engine: none", () => {
  it("answers over UDP and TCP with a generated prefix, reloads on SIGHUP, stops on SIGTERM", async () => {
    const port = await freePort("127.0.0.1");
    const stateDir = join(dir, "state");
    const configPath = join(dir, "relay.yaml");
    await writeFile(configPath, configYaml(port, [SPLIT]));
    const run = agent(["--config", configPath, "--state-dir", stateDir]);
    try {
      const udp = await eventually(async () => {
        const answer = await udpQuery(
          "127.0.0.1",
          port,
          { name: `plain.${SPLIT}`, type: "AAAA" },
          300,
        );
        return answer;
      });
      const prefix = (await readFile(join(stateDir, "prefix"), "utf8")).trim();
      const check = checkNat64Prefix(prefix, "tayga");
      expect(check.ok).toBe(true);
      if (!check.ok) return;
      const expected = embed(check.prefix, HOSTS.plain[0].data);
      expect(rrs(udp.packet.answers).map((answer) => answer.data)).toEqual([expected]);
      const tcp = await tcpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
      expect(rrs(tcp.packet.answers).map((answer) => answer.data)).toEqual([expected]);
      expect(
        rcodeOf((await udpQuery("127.0.0.1", port, { name: "plain.via4321", type: "AAAA" })).raw),
      ).toBe(5);

      // A new upstream list too: the old upstream client must not keep the process alive later.
      await writeFile(configPath, configYaml(port, [SPLIT, "via4321"], ["127.0.0.1:9"]));
      run.child.kill("SIGHUP");
      const reloaded = await eventually(async () => {
        const answer = await udpQuery(
          "127.0.0.1",
          port,
          { name: "plain.via4321", type: "AAAA" },
          300,
        );
        return rcodeOf(answer.raw) === 0 ? answer : undefined;
      });
      expect(rrs(reloaded.packet.answers).map((answer) => answer.data)).toEqual([expected]);

      await writeFile(
        configPath,
        "engine: none\nsplitDomains: [{ name: 'a.b', realSuffix: 42 }]\n",
      );
      run.child.kill("SIGHUP");
      await eventually(async () => (run.output().includes("reload failed") ? true : undefined));
      const still = await udpQuery("127.0.0.1", port, { name: "plain.via4321", type: "AAAA" });
      expect(rrs(still.packet.answers)).toHaveLength(1);

      const stopping = performance.now();
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      expect(performance.now() - stopping).toBeLessThan(5000);
    } finally {
      await stopChild(run.child);
    }
  });

  it("answers through several workers sharing the port, with summed metrics", async () => {
    const port = await freePort("127.0.0.1");
    const metricsPort = await freePort("127.0.0.1");
    const configPath = join(dir, "workers.yaml");
    await writeFile(
      configPath,
      `${configYaml(port, [SPLIT])}\nprefix: "fd4e:2a91:7c3d:6464::/96"\nmetricsListen: "127.0.0.1:${metricsPort}"\n`,
    );
    const run = agent(["--config", configPath, "--workers", "2"]);
    try {
      await eventually(() => udpQuery("127.0.0.1", port, { name: SPLIT, type: "SOA" }, 300));
      const names = Object.keys(HOSTS).filter((label) => label === "plain" || label === "multi");
      for (let round = 0; round < 10; round++) {
        for (const label of names) {
          // A fresh source port each time, so the kernel spreads the queries over the workers.
          const answer = await udpQuery("127.0.0.1", port, {
            name: `${label}.${SPLIT}`,
            type: "AAAA",
          });
          expect(rcodeOf(answer.raw)).toBe(0);
          expect(rrs(answer.packet.answers).length).toBeGreaterThan(0);
        }
      }
      const tcp = await tcpQuery("127.0.0.1", port, { name: `missing.${SPLIT}`, type: "AAAA" });
      expect(rcodeOf(tcp.raw)).toBe(3);
      // Workers answer as soon as they have the config; the primary opens the metrics endpoint
      // only after every worker applied it, so the first scrape may come too early.
      const metrics = await eventually(async () =>
        (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      );
      expect(metrics).toMatch(/nat64_relay_dns_queries_total\{qtype="AAAA",rcode="NOERROR"\} 20/);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
    } finally {
      await stopChild(run.child);
    }
  });

  it("--workers 2: a killed worker is started again after the wait the log names, the other answers meanwhile", async () => {
    const port = await freePort("127.0.0.1");
    const configPath = join(dir, "restart.yaml");
    await writeFile(
      configPath,
      `${configYaml(port, [SPLIT])}\nprefix: "fd4e:2a91:7c3d:6464::/96"\n`,
    );
    const run = agent(["--config", configPath, "--workers", "2"]);
    const pid = run.child.pid ?? 0;
    /** The primary's child processes: the DNS workers (engine none runs nothing else). */
    const children = async () =>
      (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8"))
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    const query = () => udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" }, 300);
    try {
      await eventually(query);
      const [victim = 0, survivor = 0] = await eventually(async () => {
        const found = await children();
        return found.length === 2 ? found : undefined;
      });
      process.kill(victim, "SIGKILL");
      const wait = await eventually(
        async () =>
          /a DNS worker died; starting another in (\d+) ms/.exec(run.output()) ?? undefined,
      );
      expect(Number(wait[1])).toBeGreaterThan(0);
      // The survivor answers while the replacement waits and starts (the client's own timeout,
      // no retries: each of these queries must be answered).
      for (let i = 0; i < 5; i++) {
        const answer = await udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
        expect(rcodeOf(answer.raw)).toBe(0);
      }
      const after = await eventually(async () => {
        const found = await children();
        return found.length === 2 && !found.includes(victim) ? found : undefined;
      });
      expect(after).toContain(survivor);
      expect(run.output().match(/a DNS worker died/g)).toHaveLength(1);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
    } finally {
      await stopChild(run.child);
    }
  });

  for (const workers of ["1", "2"]) {
    it(`--workers ${workers}: a new cacheBytes gets new DNS workers with its heap limits, no restart, answers throughout; metricsListen moves`, async () => {
      const port = await freePort("127.0.0.1");
      const [metricsA, metricsB] = [await freePort("127.0.0.1"), await freePort("127.0.0.1")];
      const configPath = join(dir, `cache-bytes-${workers}.yaml`);
      const write = (cacheBytes: number, metricsPort: number) =>
        writeFile(
          configPath,
          `${configYaml(port, [SPLIT])}\nprefix: "fd4e:2a91:7c3d:6464::/96"\ncacheBytes: ${cacheBytes}\nmetricsListen: "127.0.0.1:${metricsPort}"\n`,
        );
      await write(8 * 1024 * 1024, metricsA);
      const run = agent(["--config", configPath, "--workers", workers]);
      try {
        await eventually(() => udpQuery("127.0.0.1", port, { name: SPLIT, type: "SOA" }, 300));
        const ask = async () => {
          for (let attempt = 0; attempt < 3; attempt++) {
            const answer = await udpQuery(
              "127.0.0.1",
              port,
              { name: `plain.${SPLIT}`, type: "AAAA" },
              500,
            ).catch(() => undefined);
            if (answer && rrs(answer.packet.answers).length === 1) return true;
          }
          return false;
        };
        await write(32 * 1024 * 1024, metricsB);
        run.child.kill("SIGHUP");
        const answered: boolean[] = [];
        const until = Date.now() + 20_000;
        while (!run.output().includes("reloaded: cacheBytes, metricsListen changed")) {
          if (Date.now() > until) throw new Error(`no reload in 20 s:\n${run.output()}`);
          answered.push(await ask());
        }
        answered.push(await ask());
        expect(answered.filter((ok) => !ok)).toEqual([]);
        expect(run.output()).toContain("replacing the DNS workers");
        expect(run.output()).not.toContain("take effect only after a restart");
        const metrics = await (await fetch(`http://127.0.0.1:${metricsB}/metrics`)).text();
        expect(metrics).toContain("nat64_relay_dns_cache_entries");
        await expect(fetch(`http://127.0.0.1:${metricsA}/metrics`)).rejects.toThrow();
        run.child.kill("SIGTERM");
        expect(await run.exit).toBe(0);
      } finally {
        await stopChild(run.child);
      }
    });
  }

  it("exits non-zero naming the bad keys of an invalid file", async () => {
    const configPath = join(dir, "bad.yaml");
    await writeFile(configPath, "engine: none\nupstreams: ['not-an-ip']\nmaxTtl: -1\n");
    const run = agent(["--config", configPath, "--state-dir", join(dir, "bad-state")]);
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain("upstreams.0");
    expect(run.output()).toContain("maxTtl");
  });

  it("explains that listen is needed when tailscale is absent", async () => {
    const configPath = join(dir, "no-listen.yaml");
    await writeFile(
      configPath,
      `engine: none\nprefix: "fd4e:2a91:7c3d:6464::/96"\nupstreams: ["${nsd.address}"]\n`,
    );
    const run = agent(["--config", configPath, "--tailscale", join(dir, "no-such-tailscale")]);
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/no listen addresses and the tailscale CLI is not available/);
  });
});
