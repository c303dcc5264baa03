// A fake of the Slack Web API methods the bot and Bolt call (auth.test, chat.postMessage,
// chat.update, usergroups.users.list) plus response_url endpoints (/response/<id>), faithful
// to Slack's shapes: form-encoded or JSON requests, Bearer token, {ok:false, error} answers
// with HTTP 200, a ts per posted message, chat.update only on a message that exists. It is a
// fetch handler (in-process inside workerd, behind fetch-server.ts on Node) and records every
// call and every reply so tests can assert their Block Kit content.

export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Record<string, unknown>[];
  /** Every version, oldest first (the post, then each chat.update). */
  history: { text: string; blocks: Record<string, unknown>[] }[];
}

export interface SlackCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

export interface ResponseUrlPost {
  readonly id: string;
  readonly body: {
    response_type?: string;
    replace_original?: boolean;
    text?: string;
    blocks?: Record<string, unknown>[];
  };
}

function ok(body: Record<string, unknown>): Response {
  return Response.json({ ok: true, ...body });
}

function failed(error: string): Response {
  return Response.json({ ok: false, error });
}

export class FakeSlackApi {
  readonly botToken: string;
  readonly teamId: string;
  readonly calls: SlackCall[] = [];
  readonly messages: PostedMessage[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly usergroups = new Map<string, string[]>();
  /** Channels the bot may not post in (chat.postMessage answers not_in_channel). */
  readonly closedChannels = new Set<string>();
  /** Methods that answer this error next time (once each). */
  readonly faults = new Map<string, string>();
  #clock = 1_700_000_000;

  constructor(options: { botToken?: string; teamId?: string } = {}) {
    this.botToken = options.botToken ?? "xoxb-test-token";
    this.teamId = options.teamId ?? "T0TEST";
  }

  async #params(request: Request): Promise<Record<string, unknown>> {
    const type = request.headers.get("content-type") ?? "";
    const text = await request.text();
    if (type.includes("application/json"))
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    return Object.fromEntries(new URLSearchParams(text));
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const params = await this.#params(request);
    const responseId = /^\/response\/([\w-]+)$/.exec(path)?.[1];
    if (responseId) {
      this.responses.push({ id: responseId, body: params as ResponseUrlPost["body"] });
      return new Response("ok");
    }
    const method = /^\/api\/([\w.]+)$/.exec(path)?.[1];
    if (!method) return new Response("not found", { status: 404 });
    this.calls.push({ method, params });
    const token =
      request.headers.get("authorization")?.replace(/^Bearer /, "") ?? String(params.token ?? "");
    if (token !== this.botToken) return failed("invalid_auth");
    const fault = this.faults.get(method);
    if (fault) {
      this.faults.delete(method);
      return failed(fault);
    }
    switch (method) {
      case "auth.test":
        return ok({
          team_id: this.teamId,
          user_id: "UBOT",
          bot_id: "BBOT",
          url: "https://test.slack.com/",
        });
      case "chat.postMessage":
        return this.#post(params);
      case "chat.update":
        return this.#update(params);
      case "usergroups.users.list": {
        const users = this.usergroups.get(String(params.usergroup));
        return users ? ok({ users }) : failed("no_such_subteam");
      }
      default:
        return failed("unknown_method");
    }
  };

  #blocksOf(params: Record<string, unknown>): Record<string, unknown>[] {
    const blocks = params.blocks;
    if (typeof blocks === "string") return JSON.parse(blocks) as Record<string, unknown>[];
    return (blocks as Record<string, unknown>[] | undefined) ?? [];
  }

  #post(params: Record<string, unknown>): Response {
    const channel = String(params.channel ?? "");
    if (!channel) return failed("channel_not_found");
    if (this.closedChannels.has(channel)) return failed("not_in_channel");
    this.#clock += 1;
    const ts = `${this.#clock}.000100`;
    const text = String(params.text ?? "");
    const blocks = this.#blocksOf(params);
    this.messages.push({ channel, ts, text, blocks, history: [{ text, blocks }] });
    return ok({ channel, ts, message: { text, blocks } });
  }

  #update(params: Record<string, unknown>): Response {
    const message = this.messages.find(
      (candidate) => candidate.channel === params.channel && candidate.ts === params.ts,
    );
    if (!message) return failed("message_not_found");
    message.text = String(params.text ?? "");
    message.blocks = this.#blocksOf(params);
    message.history.push({ text: message.text, blocks: message.blocks });
    return ok({ channel: message.channel, ts: message.ts });
  }

  /** All mrkdwn/plain text of a message's blocks, one string per block (buttons included). */
  static textsOf(blocks: readonly Record<string, unknown>[] | undefined): string[] {
    return (blocks ?? []).map((block) => {
      const own = (block.text as { text?: string } | undefined)?.text ?? "";
      const elements = (block.elements as { text?: string | { text: string } }[] | undefined) ?? [];
      const inner = elements.map((element) =>
        typeof element.text === "string" ? element.text : (element.text?.text ?? ""),
      );
      return [own, ...inner].filter(Boolean).join(" | ");
    });
  }
}
