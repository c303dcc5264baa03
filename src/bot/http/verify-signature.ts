// Slack request signing, checked with Web Crypto (Node and Workers alike): the signature is
// "v0=" + hex HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body),
// and a timestamp more than 5 minutes away is refused as a replay (docs/slack.md, "Security").

export const MAX_CLOCK_SKEW_SECONDS = 300;

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

const encoder = new TextEncoder();

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Compares without stopping at the first difference, so timing says nothing about the MAC. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export async function signSlackRequest(
  signingSecret: string,
  timestamp: number,
  body: string,
): Promise<string> {
  return `v0=${await hmacHex(signingSecret, `v0:${timestamp}:${body}`)}`;
}

export async function verifySlackSignature(options: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowSeconds: number;
}): Promise<SignatureCheck> {
  const { timestamp, signature } = options;
  if (!timestamp || !signature) {
    return {
      ok: false,
      reason: "missing X-Slack-Request-Timestamp or X-Slack-Signature header",
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: "X-Slack-Request-Timestamp is not a Unix time" };
  }
  if (Math.abs(options.nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return { ok: false, reason: "X-Slack-Request-Timestamp is more than 5 minutes off" };
  }
  const expected = await signSlackRequest(options.signingSecret, Number(timestamp), options.body);
  if (!sameText(expected, signature)) {
    return { ok: false, reason: "X-Slack-Signature does not match the signing secret" };
  }
  return { ok: true };
}
