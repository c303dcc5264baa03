// The Slack bot's signed-request suite, run on Node (Bolt, SQLite, loopback servers) and inside
// workerd (Web Crypto route, D1, in-isolate fakes): every request is signed the way Slack signs
// it, every reply is captured by the Slack fake and asserted by its Block Kit text. No node:
// imports here.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signSlackRequest } from "../../../src/bot/http/verify-signature.ts";
import { FakeSlackApi } from "../../fakes/slack-api.ts";
import { buttonPressBody, buttonValue, slashCommandBody } from "../../fakes/slack-requests.ts";
import type { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const ADMIN_TOKEN = "an-admin-token-for-bot-tests";
export const TEAM = "T0TEST";
export const ALLOWED = "UALLOWED";
export const GROUP_MEMBER = "UGROUPIE";
export const OTHER = "UOTHER";
export const CHANNEL = "C0RELAY";
export const GROUP = "SOPS";

/** The Slack keys both harnesses set. */
export const SLACK_SETTINGS = {
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: "xoxb-test-token",
  SLACK_ALLOWED_USERS: ALLOWED,
  SLACK_ALLOWED_USERGROUPS: GROUP,
};

/** Holds calls until opened: `hold()` closes it and answers the function that opens it. */
export class Gate {
  #open: Promise<void> = Promise.resolve();

  pass(): Promise<void> {
    return this.#open;
  }

  hold(): () => void {
    let release = () => {};
    this.#open = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  }
}

export interface BotHarness {
  readonly slack: FakeSlackApi;
  readonly tailscale: FakeTailscaleApi;
  /** The response_url Slack would send for request `id`. */
  responseUrl(id: string): string;
  /** POST /slack/events with a raw body and headers. */
  postSlack(body: string, headers: Record<string, string>): Promise<Response>;
  /** The control API as admin (or with `token`). */
  api(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  /** Lets background work (after the ack) run a little: Workers give waitUntil a turn. */
  settle(): Promise<void>;
  /** Holds every Tailscale API call until the returned function is called. */
  holdTailscale(): () => void;
  close(): Promise<void>;
}

export function describeBotSuite(name: string, makeHarness: () => Promise<BotHarness>): void {
  describe(`Slack bot (${name})`, () => {
    let h: BotHarness;
    let requests = 0;

    beforeEach(async () => {
      h = await makeHarness();
      h.slack.usergroups.set(GROUP, [GROUP_MEMBER]);
    });
    afterEach(async () => {
      await h.close();
    });

    async function until(what: string, predicate: () => boolean | Promise<boolean>) {
      const deadline = Date.now() + 20_000;
      for (let round = 0; round < 2000; round++) {
        await h.settle();
        if (await predicate()) return;
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`timed out waiting for ${what}`);
    }

    async function signed(body: string, timestamp = Math.floor(Date.now() / 1000)) {
      return h.postSlack(body, {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": await signSlackRequest(SIGNING_SECRET, timestamp, body),
      });
    }

    function commandBody(text: string, user = ALLOWED, channel = CHANNEL) {
      requests += 1;
      const id = `cmd${requests}`;
      const where = { team: TEAM, channel, user, responseUrl: h.responseUrl(id) };
      return { id, body: slashCommandBody(where, text) };
    }

    /** Runs `/relay <text>` as `user` and answers the replies to its response_url. */
    async function command(text: string, user = ALLOWED, channel = CHANNEL) {
      const { id, body } = commandBody(text, user, channel);
      const response = await signed(body);
      expect(response.status).toBe(200);
      return id;
    }

    function repliesTo(id: string) {
      return h.slack.responses.filter((reply) => reply.id === id).map((reply) => reply.body);
    }

    async function onlyReply(id: string) {
      await until(`a reply to ${id}`, () => repliesTo(id).length > 0);
      const replies = repliesTo(id);
      expect(replies).toHaveLength(1);
      return replies[0]!;
    }

    function textOf(blocks: readonly Record<string, unknown>[] | undefined) {
      return FakeSlackApi.textsOf(blocks).join("\n");
    }

    async function press(
      message: { ts: string; blocks: Record<string, unknown>[] },
      actionId: string,
      user: string,
      rewriteValue: (value: Record<string, unknown>) => Record<string, unknown> = (v) => v,
    ) {
      const value = JSON.parse(buttonValue(message.blocks, actionId));
      requests += 1;
      const id = `act${requests}`;
      const where = { team: TEAM, channel: CHANNEL, user, responseUrl: h.responseUrl(id) };
      const body = buttonPressBody(where, message, actionId, JSON.stringify(rewriteValue(value)));
      const response = await signed(body);
      expect(response.status).toBe(200);
      return id;
    }

    /** A relay whose node reported and which the Tailscale device list confirms. */
    async function relayWithNode() {
      const created = await h.api("POST", "/v1/relays", { name: "edge" });
      expect(created.status).toBe(201);
      const { relay, agentToken } = (await created.json()) as {
        relay: { prefix: string; configRevision: number };
        agentToken: string;
      };
      h.tailscale.addDevice({
        nodeId: "nEdge1",
        hostname: "edge-1",
        addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
        advertisedRoutes: [relay.prefix],
      });
      const report = await reportApplied(agentToken, relay.configRevision);
      expect(report.status).toBe(200);
      return { prefix: relay.prefix, agentToken, reported: relay.configRevision };
    }

    function reportApplied(agentToken: string, appliedRevision: number) {
      return h.api(
        "POST",
        "/v1/agent/status",
        {
          nodeId: "nEdge1",
          hostname: "edge-1",
          addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
          appliedRevision,
          doctor: { ok: true },
        },
        agentToken,
      );
    }

    /** A split domain r9929 with its confirmation, then the question to remove it. */
    async function askRemoval() {
      await relayWithNode();
      await command("add-domain r9929 real.test");
      await until("the confirmation", () => h.slack.messages.length === 1);
      await command("remove-domain r9929");
      await until("the question", () => h.slack.messages.length === 2);
      return h.slack.messages[1]!;
    }

    async function currentRevision() {
      const relay = (await (await h.api("GET", "/v1/relays/edge")).json()) as {
        configRevision: number;
      };
      return relay.configRevision;
    }

    async function splitDomainStatus(name: string) {
      return (await h.api("GET", `/v1/split-domains/${name}`)).status;
    }

    async function audit() {
      const listed = (await (await h.api("GET", "/v1/audit")).json()) as {
        records: { actor: string; verb: string; outcome: string }[];
      };
      return listed.records.map((entry) => `${entry.actor} ${entry.verb} ${entry.outcome}`);
    }

    describe("request signing", () => {
      it("handles a request with a good v0 signature", async () => {
        const id = await command("help");
        const reply = await onlyReply(id);
        expect(reply.response_type).toBe("ephemeral");
        expect(textOf(reply.blocks)).toContain(
          "`/relay add-domain &lt;split&gt; &lt;real-suffix&gt; [relay]`",
        );
      });

      it("answers 401 and changes nothing for a bad signature, missing headers or a stale timestamp", async () => {
        await relayWithNode();
        const now = Math.floor(Date.now() / 1000);
        const cases: [string, (body: string) => Promise<Response>][] = [
          [
            "bad signature",
            async (body) =>
              h.postSlack(body, {
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": String(now),
                "x-slack-signature": await signSlackRequest("not-the-secret", now, body),
              }),
          ],
          [
            "missing headers",
            (body) => h.postSlack(body, { "content-type": "application/x-www-form-urlencoded" }),
          ],
          ["timestamp older than 5 minutes", (body) => signed(body, now - 301)],
          [
            "signature over another body",
            async (body) =>
              h.postSlack(body, {
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": String(now),
                "x-slack-signature": await signSlackRequest(SIGNING_SECRET, now, `${body}x`),
              }),
          ],
        ];
        for (const [label, send] of cases) {
          const { id, body } = commandBody("add-domain r9929 real.test");
          const response = await send(body);
          expect(response.status, label).toBe(401);
          const answer = (await response.json()) as { error: { code: string; message: string } };
          expect(answer.error.code, label).toBe("unauthenticated");
          await h.settle();
          expect(repliesTo(id), label).toEqual([]);
        }
        expect(await splitDomainStatus("r9929")).toBe(404);
        expect(h.slack.messages).toEqual([]);
        expect(h.tailscale.callsMatching("PATCH", /split-dns/)).toEqual([]);
      });
    });

    describe("full path", () => {
      it("add-domain: row stored, split DNS PATCHed, confirmation posted and updated until done", async () => {
        const { prefix, agentToken, reported } = await relayWithNode();
        const id = await command("add-domain r9929 real.test");

        await until("the confirmation", () => h.slack.messages.length === 1);
        const message = h.slack.messages[0]!;
        expect(message.channel).toBe(CHANNEL);
        expect(FakeSlackApi.textsOf(message.history[0]!.blocks)[0]).toBe(
          `:white_check_mark: <@${ALLOWED}> added split domain \`r9929\`: \`host.r9929\` → \`host.real.test\` through relay \`edge\` (config revision ${await currentRevision()}).`,
        );
        expect(await splitDomainStatus("r9929")).toBe(200);

        // The reconciler sets split DNS and approves the route; the message follows.
        await until(
          "the split DNS PATCH",
          () => h.tailscale.callsMatching("PATCH", /\/dns\/split-dns$/).length > 0,
        );
        expect(h.tailscale.callsMatching("PATCH", /\/dns\/split-dns$/).map((c) => c.body)).toEqual([
          { r9929: ["100.64.0.1", "fd7a:115c:a1e0::1"] },
        ]);
        await until("the updated confirmation", () =>
          textOf(message.blocks).includes("Split DNS for `r9929`: set"),
        );
        const revision = await currentRevision();
        expect(FakeSlackApi.textsOf(message.blocks)[1]).toBe(
          [
            ":white_check_mark: Split DNS for `r9929`: set, queries go to 100.64.0.1, fd7a:115c:a1e0::1",
            `:white_check_mark: Route \`${prefix}\` on \`edge-1\`: approved`,
            `:hourglass_flowing_sand: Node \`edge-1\` runs revision ${reported}, waiting for ${revision} (last seen ${await lastSeen()})`,
          ].join("\n"),
        );

        // The agent applies the new revision: the confirmation says so and stops updating.
        expect((await reportApplied(agentToken, revision)).status).toBe(200);
        await until("the node line", () =>
          textOf(message.blocks).includes(`Node \`edge-1\` applied revision ${revision}`),
        );
        expect(FakeSlackApi.textsOf(message.blocks).at(-1)).toBe("All done.");
        expect(repliesTo(id)).toEqual([]);
        expect(await audit()).toContain(`slack:${TEAM}/${ALLOWED} split_domain.add ok`);
      });

      async function lastSeen() {
        const status = (await (await h.api("GET", "/v1/status")).json()) as {
          relays: { nodes: { lastSeenAt: string }[] }[];
        };
        return status.relays[0]!.nodes[0]!.lastSeenAt;
      }

      it("remove-domain: asks, refuses another user's click, removes on the asker's click, PATCHes null", async () => {
        await relayWithNode();
        await command("add-domain r9929 real.test");
        await until("split DNS set", () => h.tailscale.splitDns.r9929 !== undefined);
        const before = h.slack.messages.length;

        const asked = await command("remove-domain r9929");
        await until("the question", () => h.slack.messages.length === before + 1);
        const question = h.slack.messages.at(-1)!;
        expect(textOf(question.blocks)).toBe(
          [
            `:question: <@${ALLOWED}> asks to remove split domain \`r9929\` (\`host.r9929\` → \`host.real.test\` through relay \`edge\`).\nOnce the relay's nodes apply the change and the split DNS entry is taken back, \`host.r9929\` no longer resolves.`,
            "Remove | Cancel",
            `Only <@${ALLOWED}> can confirm or cancel, within 10 minutes.`,
          ].join("\n"),
        );
        expect(repliesTo(asked)).toEqual([]);

        // Someone else (even one allowed through a user group) cannot confirm.
        const stranger = await press(question, "relay_remove_domain_confirm", GROUP_MEMBER);
        const refusal = await onlyReply(stranger);
        expect(refusal.response_type).toBe("ephemeral");
        expect(textOf(refusal.blocks)).toBe(
          `:warning: only the person who asked (${ALLOWED}) can confirm this removal; to remove r9929 yourself, run /relay remove-domain r9929\n\`forbidden\``,
        );
        expect(await splitDomainStatus("r9929")).toBe(200);
        expect(await audit()).toContain(
          `slack:${TEAM}/${GROUP_MEMBER} split_domain.remove forbidden`,
        );

        const confirmed = await press(question, "relay_remove_domain_confirm", ALLOWED);
        await until("the row gone", async () => (await splitDomainStatus("r9929")) === 404);
        await until("the split DNS PATCH with null", () =>
          h.tailscale
            .callsMatching("PATCH", /\/dns\/split-dns$/)
            .some((call) => JSON.stringify(call.body) === '{"r9929":null}'),
        );
        expect(h.tailscale.splitDns.r9929).toBeUndefined();
        await until("the question rewritten", () =>
          textOf(question.blocks).includes("Split DNS for `r9929`: removed from Tailscale"),
        );
        expect(FakeSlackApi.textsOf(question.blocks)[0]).toMatch(
          new RegExp(
            `^:wastebasket: <@${ALLOWED}> removed split domain \`r9929\` \\(was \`host.r9929\` → \`host.real.test\` through relay \`edge\`; config revision \\d+\\)\\.$`,
          ),
        );
        expect(textOf(question.blocks)).not.toContain("Remove | Cancel");
        expect(h.slack.messages).toHaveLength(before + 1);
        expect(repliesTo(confirmed)).toEqual([]);
        expect(await audit()).toContain(`slack:${TEAM}/${ALLOWED} split_domain.remove ok`);
      });

      it("cancel leaves the split domain and says so in place", async () => {
        const question = await askRemoval();
        await press(question, "relay_remove_domain_cancel", ALLOWED);
        await until("the rewrite", () => textOf(question.blocks).includes("cancelled"));
        expect(textOf(question.blocks)).toBe(
          `:no_entry_sign: <@${ALLOWED}> cancelled the removal of \`r9929\`; nothing changed.`,
        );
        expect(await splitDomainStatus("r9929")).toBe(200);
      });
    });

    describe("Slack's 3-second limit", () => {
      it("acknowledges while the Tailscale API hangs, then reports its failure in the confirmation", async () => {
        await relayWithNode();
        const release = h.holdTailscale();
        h.tailscale.inject({ status: 403, match: /^PATCH .*split-dns/ });
        const id = await command("add-domain r9929 real.test");
        // The ack is in (status 200 above) and the confirmation posted, Tailscale still held.
        await until("the confirmation", () => h.slack.messages.length === 1);
        const message = h.slack.messages[0]!;
        expect(FakeSlackApi.textsOf(message.blocks)[1]?.split("\n")[0]).toBe(
          ":hourglass_flowing_sand: Split DNS for `r9929`: waiting for the reconciler",
        );
        expect(h.tailscale.callsMatching("PATCH", /split-dns/)).toEqual([]);
        release();
        await until("the failure in the confirmation", () =>
          textOf(message.blocks).includes(":x: Split DNS for `r9929`"),
        );
        expect(FakeSlackApi.textsOf(message.blocks)[1]?.split("\n")[0]).toMatch(
          /^:x: Split DNS for `r9929`: was absent; setting it failed: PATCH \/api\/v2\/tailnet\/-\/dns\/split-dns: 403 .*; the reconciler tries again$/,
        );
        expect(FakeSlackApi.textsOf(message.blocks).at(-1)).toMatch(/^This message updates as/);
        expect(repliesTo(id)).toEqual([]);
      });
    });

    describe("bad input changes nothing and gets a precise ephemeral answer", () => {
      async function refused(text: string, user = ALLOWED) {
        const reply = await onlyReply(await command(text, user));
        expect(reply.response_type).toBe("ephemeral");
        return textOf(reply.blocks);
      }

      it("missing arguments, invalid names, unknown relay, several relays", async () => {
        await relayWithNode();
        expect(await refused("add-domain r9929")).toBe(
          ":warning: missing arguments; usage: /relay add-domain &lt;split&gt; &lt;real-suffix&gt; [relay]\n`invalid_input`",
        );
        expect(await refused("add-domain r_99 real.test")).toBe(
          ':warning: invalid split domain: name: label "r_99" may only hold letters, digits and inner hyphens (LDH, RFC 1123 §2.1)\n`invalid_input` · name: label "r_99" may only hold letters, digits and inner hyphens (LDH, RFC 1123 §2.1)',
        );
        expect(await refused("add-domain r9929 real.test nosuch")).toBe(
          ':warning: no relay named "nosuch"\n`not_found` · relay: no relay named "nosuch"',
        );
        expect(await refused("remove-domain")).toBe(
          ":warning: missing arguments; usage: /relay remove-domain &lt;split&gt;\n`invalid_input`",
        );
        expect(await refused("remove-domain r1234")).toBe(
          ':warning: no split domain named "r1234"\n`not_found`',
        );
        expect((await h.api("POST", "/v1/relays", { name: "edge2" })).status).toBe(201);
        expect(await refused("add-domain r9929 real.test")).toBe(
          ":warning: there are 2 relays (edge, edge2): name one, e.g. /relay add-domain r9929 real.test edge\n`invalid_input`",
        );
        expect(await splitDomainStatus("r9929")).toBe(404);
        expect(h.slack.messages).toEqual([]);
      });

      it("a user outside SLACK_ALLOWED_USERS and the allowed groups is refused and audited", async () => {
        await relayWithNode();
        expect(await refused("add-domain r9929 real.test", OTHER)).toBe(
          `:warning: you (${OTHER}) may not change split domains: you are not in SLACK_ALLOWED_USERS nor in a group of SLACK_ALLOWED_USERGROUPS; ask an admin to add you\n\`forbidden\``,
        );
        expect(await splitDomainStatus("r9929")).toBe(404);
        expect(await audit()).toContain(`slack:${TEAM}/${OTHER} split_domain.add forbidden`);
        // A member of an allowed user group may.
        await command("add-domain r9929 real.test", GROUP_MEMBER);
        await until("the row", async () => (await splitDomainStatus("r9929")) === 200);
        expect(h.slack.calls.filter((call) => call.method === "usergroups.users.list")).not.toEqual(
          [],
        );
      });

      it("an expired confirmation removes nothing", async () => {
        const question = await askRemoval();
        const late = await press(question, "relay_remove_domain_confirm", ALLOWED, (value) => ({
          ...value,
          askedAt: Number(value.askedAt) - 700,
        }));
        const reply = await onlyReply(late);
        expect(reply.response_type).toBe("ephemeral");
        expect(textOf(reply.blocks)).toBe(
          ":warning: this removal request expired (asked 11 minutes ago, valid for 10); nothing was removed. Run /relay remove-domain r9929 again.\n`precondition_failed`",
        );
        expect(textOf(question.blocks)).toBe(
          ":hourglass: The request to remove `r9929` expired; nothing was removed.",
        );
        expect(await splitDomainStatus("r9929")).toBe(200);
      });

      it("unknown or empty input answers the help text", async () => {
        const unknown = textOf((await onlyReply(await command("frobnicate now"))).blocks);
        expect(unknown.split("\n")[0]).toBe(
          ":grey_question: Unknown command `frobnicate`. /relay knows:",
        );
        const empty = textOf((await onlyReply(await command(""))).blocks);
        expect(empty.split("\n")[0]).toBe(
          "/relay sends `host.&lt;split&gt;` through a chosen relay. Commands:",
        );
        for (const usage of [
          "add-domain <split> <real-suffix> [relay]",
          "remove-domain <split>",
          "list",
          "status [relay]",
          "check <host.split>",
          "help",
        ]) {
          expect(empty).toContain(
            `\`/relay ${usage.replaceAll("<", "&lt;").replaceAll(">", "&gt;")}\``,
          );
        }
      });
    });

    describe("read commands", () => {
      it("list, status and check describe the mapping and its sync state", async () => {
        const { prefix } = await relayWithNode();
        await command("add-domain r9929 real.test");
        await until("split DNS set", () => h.tailscale.splitDns.r9929 !== undefined);
        await until("the reconcile report", async () => {
          const status = (await (await h.api("GET", "/v1/status")).json()) as {
            relays: { tailscale: { splitDns: unknown[] } | null }[];
          };
          return (status.relays[0]?.tailscale?.splitDns.length ?? 0) > 0;
        });

        const listed = textOf((await onlyReply(await command("list", OTHER))).blocks);
        expect(listed).toBe(
          [
            "*1 split domain*",
            "*`r9929`* → `real.test` through relay `edge`",
            ":white_check_mark: Split DNS for `r9929`: set, queries go to 100.64.0.1, fd7a:115c:a1e0::1",
            `:white_check_mark: Route \`${prefix}\` approved on every node`,
          ].join("\n"),
        );

        const status = textOf((await onlyReply(await command("status edge"))).blocks);
        expect(status).toContain(`*Relay \`edge\`* · prefix \`${prefix}\``);
        expect(status).toMatch(
          /Node `edge-1`: revision \d+, current is \d+, last seen .*, doctor ok/,
        );
        expect(status).toContain("Last reconcile");

        const unknownRelay = textOf((await onlyReply(await command("status nope"))).blocks);
        expect(unknownRelay).toBe(':warning: no relay named "nope"; relays: edge\n`not_found`');

        const checked = textOf((await onlyReply(await command("check My-VPS.r9929."))).blocks);
        expect(checked.split("\n")[0]).toBe(
          `\`my-vps.r9929\` is answered by relay \`edge\` from the A records of \`my-vps.real.test\`, each IPv4 address embedded in \`${prefix}\` (split domain \`r9929\`).`,
        );
        const nobody = textOf((await onlyReply(await command("check host.elsewhere"))).blocks);
        expect(nobody).toBe(
          ":warning: no split domain serves host.elsewhere; split domains: r9929\n`not_found`",
        );
      });
    });
  });
}
