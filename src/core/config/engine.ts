// The NAT64 engines a relay can run, declared once: every other place derives from this list.

/** tayga: userspace translator on a tun; jool: kernel module; none: DNS only. */
export const NAT64_ENGINES = ["tayga", "jool", "none"] as const;
export type Nat64Engine = (typeof NAT64_ENGINES)[number];

/** The engines that translate packets (everything but `none`). */
export type Nat64Translator = Exclude<Nat64Engine, "none">;
