import { describe, expect, it } from "vitest";
import { describeFetchFailure } from "../../../src/api/tailscale/fetch-failure.ts";

/** What undici's fetch throws: TypeError("fetch failed") with the socket error as cause. */
function undiciFailure(cause: object): TypeError {
  return new TypeError("fetch failed", { cause });
}

const socketError = (code: string, extra: object = {}) =>
  Object.assign(new Error(`connect ${code}`), { code, ...extra });

describe("why a fetch to the Tailscale API failed", () => {
  it("names a refused connection with the address, and does not retry it", () => {
    expect(
      describeFetchFailure(
        undiciFailure(socketError("ECONNREFUSED", { address: "127.0.0.1", port: 9 })),
      ),
    ).toEqual({ cause: "ECONNREFUSED", detail: "ECONNREFUSED 127.0.0.1:9", retryable: false });
  });

  it("reads the code of an AggregateError (one error per address tried)", () => {
    const aggregate = Object.assign(
      new AggregateError([socketError("ECONNREFUSED", { address: "::1", port: 9 })], ""),
      { code: "ECONNREFUSED" },
    );
    expect(describeFetchFailure(undiciFailure(aggregate))).toEqual({
      cause: "ECONNREFUSED",
      detail: "ECONNREFUSED",
      retryable: false,
    });
  });

  it("classes unknown names as DNS and bad certificates as TLS", () => {
    expect(
      describeFetchFailure(
        undiciFailure(socketError("ENOTFOUND", { hostname: "api.tailscale.invalid" })),
      ),
    ).toEqual({ cause: "DNS", detail: "ENOTFOUND api.tailscale.invalid", retryable: false });
    for (const code of [
      "CERT_HAS_EXPIRED",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "ERR_SSL_WRONG_VERSION_NUMBER",
    ]) {
      expect(describeFetchFailure(undiciFailure(socketError(code)))).toEqual({
        cause: "TLS",
        detail: code,
        retryable: false,
      });
    }
  });

  it("classes timeouts, and retries only connections that broke after connecting", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(describeFetchFailure(timeout)).toEqual({
      cause: "timeout",
      detail: "The operation was aborted due to timeout",
      retryable: false,
    });
    expect(describeFetchFailure(undiciFailure(socketError("UND_ERR_CONNECT_TIMEOUT")))).toEqual({
      cause: "timeout",
      detail: "UND_ERR_CONNECT_TIMEOUT",
      retryable: false,
    });
    expect(describeFetchFailure(undiciFailure(socketError("ECONNRESET")))).toEqual({
      cause: "network",
      detail: "ECONNRESET",
      retryable: true,
    });
    expect(describeFetchFailure(new Error("Network connection lost."))).toEqual({
      cause: "network",
      detail: "Network connection lost.",
      retryable: true,
    });
  });
});
