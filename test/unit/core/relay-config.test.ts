import { describe, expect, it } from "vitest";
import { parseRelayConfigText } from "../../../src/core/config/parse-relay-config.ts";

const VALID_YAML = `
listen: ["127.0.0.1:5353"]
upstreams: ["127.0.0.1:5300"]
allowFrom: ["100.64.0.0/10", "fd7a:115c:a1e0::/48"]
prefix: "fd64:9929::/96"
pool: "192.168.240.0/20"
overlayInterface: tailscale0
egressInterfaces: [tailscale0]
engine: tayga
advertise: true
splitDomains:
  - name: R9929
    realSuffix: tail1234.ts.net.
`;

describe("relay config files", () => {
  it("reads the documented YAML example, normalizing split domains", () => {
    const parsed = parseRelayConfigText(VALID_YAML);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.splitDomains).toEqual([{ name: "r9929", realSuffix: "tail1234.ts.net" }]);
    expect(parsed.config.maxTtl).toBe(300);
    expect(parsed.warnings).toEqual([]);
  });

  it("reads JSON with the same schema and fills defaults", () => {
    const parsed = parseRelayConfigText(
      JSON.stringify({ splitDomains: [{ name: "r9929", realSuffix: "tail1234.ts.net" }] }),
    );
    expect(parsed).toMatchObject({
      ok: true,
      config: {
        upstreams: ["100.100.100.100"],
        allowFrom: ["100.64.0.0/10", "fd7a:115c:a1e0::/48"],
        pool: "192.168.240.0/20",
        overlayInterface: "tailscale0",
        engine: "tayga",
        fastPath: "auto",
        advertise: true,
      },
    });
  });

  it("takes a numeric split domain name as its label and warns about it", () => {
    const parsed = parseRelayConfigText(
      "splitDomains:\n  - name: 9929\n    realSuffix: tail1234.ts.net\n",
    );
    expect(parsed).toMatchObject({ ok: true, config: { splitDomains: [{ name: "9929" }] } });
    expect(parsed.ok && parsed.warnings[0]?.code).toBe("numeric_last_label");
  });

  it("reports every bad key with its path in one pass", () => {
    const parsed = parseRelayConfigText(`
listen: ["dns.example:53"]
prefix: "64:ff9b::/96"
pool: "100.100.0.0/20"
engine: kernel
tpyo: 1
splitDomains:
  - name: bad_label
    realSuffix: tail1234.ts.net
`);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const paths = parsed.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(["listen.0", "pool", "engine", "", "splitDomains.0.name"]),
    );
    expect(parsed.problems.find((p) => p.path === "")?.message).toContain("tpyo");
    expect(parsed.problems.find((p) => p.path === "pool")?.message).toContain("100.64.0.0/10");
  });

  it("refuses tayga-incompatible prefixes only when the engine is tayga", () => {
    const yaml = (engine: string) => `prefix: "64:ff9b:1::/48"\nengine: ${engine}\n`;
    expect(parseRelayConfigText(yaml("tayga"))).toMatchObject({
      ok: false,
      problems: [{ path: "prefix", message: expect.stringContaining("tayga 0.9.2 aborts") }],
    });
    expect(parseRelayConfigText(yaml("jool"))).toMatchObject({ ok: true });
  });

  it("refuses duplicate split domains in one file", () => {
    const parsed = parseRelayConfigText(`splitDomains:
  - {name: r9929, realSuffix: tail1234.ts.net}
  - {name: R9929, realSuffix: tail1234.ts.net}
`);
    expect(parsed).toMatchObject({
      ok: false,
      problems: [{ path: "splitDomains.1.name", message: 'split domain "r9929" already exists' }],
    });
  });

  it("reports YAML syntax errors with their line", () => {
    const parsed = parseRelayConfigText("listen: [\n");
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems[0]?.message).toMatch(/line/);
    expect(!parsed.ok && parsed.problems.every((problem) => !problem.message.includes("\n"))).toBe(
      true,
    );
  });

  it("refuses a YAML alias bomb with one line instead of expanding it", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const name of "bcdefgh") {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    expect(parseRelayConfigText(levels.join("\n"))).toEqual({
      ok: false,
      problems: [
        {
          path: "",
          message:
            "the file expands its YAML aliases (*name) too often (more than 100); write the values out instead",
        },
      ],
    });
  });

  it("answers deeply nested and oversized files with one problem, never a throw", () => {
    for (const text of ["[".repeat(200_000), `${"[".repeat(100_000)}${"]".repeat(100_000)}`]) {
      expect(parseRelayConfigText(text)).toEqual({
        ok: false,
        problems: [
          {
            path: "",
            message:
              "the file nests [ ] or { } more than 32 levels deep; a relay config needs a few",
          },
        ],
      });
    }
    // Brackets inside quoted scalars and comments are text, not nesting.
    const quoted = `# ${"[".repeat(40)}\nupstreams: ["${"[".repeat(40)}"]\n`;
    const parsed = parseRelayConfigText(quoted);
    expect(parsed.ok ? [] : parsed.problems.map((problem) => problem.path)).not.toContain("");
    expect(parseRelayConfigText(`# ${"x".repeat(1024 * 1024)}`)).toEqual({
      ok: false,
      problems: [
        {
          path: "",
          message: "the file is 1048578 characters long; a relay config is at most 1048576",
        },
      ],
    });
    // Parsing 200,000 brackets takes seconds on a loaded shared machine.
  }, 30_000);
});

describe("canonical prefixes", () => {
  it("writes prefix, pool and allowFrom in canonical text so they compare with ip and tailscale output", () => {
    const parsed = parseRelayConfigText(
      'prefix: "FD4E:2A91:7C3D:6464:0:0:0:0/96"\npool: " 192.168.240.0/20"\nallowFrom: ["FD7A:115C:A1E0:0::/48"]\n',
    );
    expect(parsed).toMatchObject({
      ok: true,
      config: {
        prefix: "fd4e:2a91:7c3d:6464::/96",
        pool: "192.168.240.0/20",
        allowFrom: ["fd7a:115c:a1e0::/48"],
      },
    });
  });

  it("still refuses a prefix with host bits set instead of clearing them", () => {
    expect(parseRelayConfigText('prefix: "fd64:9929::1/96"\n')).toMatchObject({
      ok: false,
      problems: [{ path: "prefix", message: expect.stringContaining("has bits set after /96") }],
    });
  });
});
