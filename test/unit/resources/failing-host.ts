// A fake host whose n-th change (a mutating call on any host system) fails once, like a host
// tool that refuses: to check that a failed apply goes back to the previous state.
import type { FakeHost } from "../../fakes/fake-host.ts";

const MUTATING: Record<string, readonly string[]> = {
  sysctl: ["set"],
  ip: ["setLinkUp", "deleteLink", "addRoute", "deleteRoute"],
  nft: ["run"],
  tailscale: ["setAdvertisedRoutes"],
};

export interface FailingHost {
  readonly host: FakeHost;
  /** Fail the n-th change from now on (1-based); 0: never. */
  failAt(n: number): void;
  /** Changes made since the last failAt. */
  readonly changes: number;
  readonly failed: boolean;
}

export function failingHost(inner: FakeHost): FailingHost {
  let target = 0;
  let count = 0;
  let failed = false;
  const step = (what: string) => {
    count++;
    if (count === target) {
      failed = true;
      throw new Error(`injected failure at ${what}`);
    }
  };
  const wrap = <T extends object>(system: T, name: string): T => {
    const methods = MUTATING[name] ?? [];
    return new Proxy(system, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== "function") return value;
        if (!methods.includes(String(property))) return value.bind(object);
        return (...args: unknown[]) => {
          step(`${name}.${String(property)}`);
          return value.apply(object, args);
        };
      },
    });
  };
  const exec: FakeHost["exec"] = async (command, args) => {
    const reads = args.includes("display");
    if (!reads) step(`exec ${command}`);
    return inner.exec(command, args);
  };
  const host: FakeHost = {
    ...inner,
    sysctl: wrap(inner.sysctl, "sysctl"),
    ip: wrap(inner.ip, "ip"),
    nft: wrap(inner.nft, "nft"),
    tailscale: wrap(inner.tailscale, "tailscale"),
    exec,
  };
  return {
    host,
    failAt(n) {
      target = n;
      count = 0;
      failed = false;
    },
    get changes() {
      return count;
    },
    get failed() {
      return failed;
    },
  };
}
