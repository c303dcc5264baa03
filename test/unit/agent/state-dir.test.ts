import { describe, expect, it } from "vitest";
import { defaultStateDir } from "../../../src/relay-agent/commands/state-dir.ts";

const never = () => false;

describe("the default state directory", () => {
  it("is /var/lib/nat64-relay for root, for a user who may write there, and under --root", () => {
    expect(defaultStateDir("/", { uid: 0, home: "/home/a", writable: never })).toBe(
      "/var/lib/nat64-relay",
    );
    expect(defaultStateDir("/", { uid: 1000, home: "/home/a", writable: () => true })).toBe(
      "/var/lib/nat64-relay",
    );
    expect(defaultStateDir("/tmp/root", { uid: 1000, home: "/home/a", writable: never })).toBe(
      "/tmp/root/var/lib/nat64-relay",
    );
  });

  it("is the user's XDG state directory otherwise, ~/.local/state when XDG_STATE_HOME is unset", () => {
    expect(
      defaultStateDir("/", {
        uid: 1000,
        xdgStateHome: "/x/state",
        home: "/home/a",
        writable: never,
      }),
    ).toBe("/x/state/nat64-relay");
    expect(defaultStateDir("/", { uid: 1000, home: "/home/a", writable: never })).toBe(
      "/home/a/.local/state/nat64-relay",
    );
    // No home at all: the system path, whose error then says to pass --state-dir.
    expect(defaultStateDir("/", { uid: 1000, writable: never })).toBe("/var/lib/nat64-relay");
  });
});
