// The Slack Web API fake as its own process for the e2e lab (the bot inside the API process
// calls it over HTTP, as it would call slack.com): `node fake-slack-api-process.ts HOST PORT
// BOT_TOKEN`. Prints "listening URL" once ready. It records chat.postMessage, chat.update and
// every response_url post (/response/<id>); GET /__fake/state shows them.
import { serveFetch } from "../../fakes/fetch-server.ts";
import { FakeSlackApi } from "../../fakes/slack-api.ts";

const [host = "127.0.0.1", port = "0", botToken = "xoxb-lab-token"] = process.argv.slice(2);
const fake = new FakeSlackApi({ botToken, teamId: "T0LAB" });
const server = await serveFetch(
  async (input, init) => {
    const url = new URL(input);
    if ((init.method ?? "GET") === "GET" && url.pathname === "/__fake/state") {
      return Response.json({
        calls: fake.calls,
        messages: fake.messages,
        responses: fake.responses,
      });
    }
    return fake.fetch(input, init);
  },
  { host, port: Number(port) },
);
console.log(`listening ${server.url}`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
