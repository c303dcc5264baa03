// A Bolt receiver fed by our own HTTP route (POST /slack/events in the Hono app) instead of a
// server of its own: the route has verified the signature and decoded the body; Bolt matches
// the listener, and the route answers as soon as the listener calls ack().
import type { App, Receiver } from "@slack/bolt";
import type { SlackDispatch } from "../http/slack-events.ts";

/** Answer Slack before its 3-second limit even if a listener never acknowledged. */
const ACK_DEADLINE_MS = 2500;

export class RouteReceiver implements Receiver {
  #app: App | undefined;
  readonly #logError: (error: unknown, what: string) => void;

  constructor(logError: (error: unknown, what: string) => void) {
    this.#logError = logError;
  }

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  readonly dispatch: SlackDispatch = (body) => {
    const app = this.#app;
    if (!app) return Promise.reject(new Error("the Bolt app is not initialized"));
    return new Promise((resolve) => {
      let answered = false;
      const answer = (value: unknown) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => answer(undefined), ACK_DEADLINE_MS);
      app
        .processEvent({ body, ack: async (response?: unknown) => answer(response) })
        .catch((error: unknown) => this.#logError(error, "Slack listener"))
        .finally(() => answer(undefined));
    });
  };
}
