// The Tailscale API fake as its own process for the e2e lab (it outlives API restarts, as the
// real tailnet does): `node fake-tailscale-api-process.ts HOST PORT DEVICES_JSON`. Prints
// "listening URL" once ready; GET /__fake/state shows devices and split DNS.
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";
import { serveFakeTailscale } from "../../fakes/tailscale-api-server.ts";

const [host = "127.0.0.1", port = "0", devices = "[]"] = process.argv.slice(2);
const fake = new FakeTailscaleApi({ apiKeys: ["tskey-api-lab"] });
for (const device of JSON.parse(devices)) fake.addDevice(device);
const server = await serveFakeTailscale(fake, { host, port: Number(port), inspect: true });
console.log(`listening ${server.url}`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
