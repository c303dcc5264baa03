// The confirmation of a change, rendered from the status: one line per node, done only when
// every node that is up applied the revision (a down node catches up when it returns).
import { describe, expect, it } from "vitest";
import type { StatusOutput } from "../../../src/api/services/get-status.ts";
import { renderConfirmation } from "../../../src/bot/confirmation-view.ts";
import { FakeSlackApi } from "../../fakes/slack-api.ts";

const AT = "2026-12-01T10:00:00.000Z";

function node(hostname: string, appliedRevision: number, state: "up" | "down") {
  return {
    nodeId: `n-${hostname}`,
    hostname,
    addresses: ["100.64.0.1"],
    lastSeenAt: AT,
    appliedRevision,
    upToDate: appliedRevision === 5,
    state,
    doctor: null,
  };
}

function status(nodes: ReturnType<typeof node>[]): StatusOutput {
  return {
    relays: [
      {
        name: "edge",
        prefix: "fd00:64::/96",
        configRevision: 5,
        nodes,
        tailscale: {
          splitDns: [{ domain: "r9929", desired: ["100.64.0.1"], actual: null, inSync: true }],
          routes: nodes.map((n) => ({
            nodeId: n.nodeId,
            hostname: n.hostname,
            prefix: "fd00:64::/96",
            advertised: true,
            approved: true,
          })),
          drift: [],
        },
      },
    ],
    tailscale: null,
  } as unknown as StatusOutput;
}

const facts = {
  kind: "add" as const,
  splitDomain: "r9929",
  realSuffix: "real.test",
  relay: "edge",
  revision: 5,
  requestedBy: "slack:T1/U1",
  warnings: [],
  createdAt: AT,
};

describe("confirmation view", () => {
  it("is done when every node that is up applied the revision; a down node says so", () => {
    const view = renderConfirmation(
      facts,
      status([node("edge-1", 5, "up"), node("edge-2", 4, "down")]),
      new Date(AT),
    );
    expect(view.done).toBe(true);
    const lines = FakeSlackApi.textsOf(view.message.blocks);
    expect(lines[1]?.split("\n").slice(-2)).toEqual([
      ":white_check_mark: Node `edge-1` applied revision 5",
      `:x: Node \`edge-2\` is down: no report since ${AT} (runs revision 4)`,
    ]);
    expect(lines.at(-1)).toBe("All done.");
  });

  it("waits for a node that is up but behind, and stops updating after 24 hours", () => {
    const behind = status([node("edge-1", 4, "up")]);
    const soon = renderConfirmation(facts, behind, new Date(AT));
    expect(soon.done).toBe(false);
    expect(FakeSlackApi.textsOf(soon.message.blocks).at(-1)).toBe(
      "This message updates as the relay's nodes apply revision 5 and the reconciler runs.",
    );
    const late = renderConfirmation(facts, behind, new Date(Date.parse(AT) + 25 * 3600_000));
    expect(late.done).toBe(true);
    expect(FakeSlackApi.textsOf(late.message.blocks).at(-1)).toBe(
      "No longer updated (after 24 hours); see `/relay status edge`.",
    );
  });
});
