// The part of Tailscale's API v2 the reconciler uses (docs/design.md, "Tailscale API"), as a
// small interface with a real HTTP implementation (http-client.ts) and a fake
// (test/fakes/tailscale-api.ts).

export interface TailscaleDevice {
  /** Legacy numeric id. */
  readonly id: string;
  /** Stable node id ("n…"): what agents report and what we address devices by. */
  readonly nodeId: string;
  readonly name: string;
  readonly hostname: string;
  readonly addresses: readonly string[];
  /** Present only when the list was asked with fields=all. */
  readonly advertisedRoutes: readonly string[];
  readonly enabledRoutes: readonly string[];
}

export interface DeviceRoutes {
  readonly advertisedRoutes: readonly string[];
  readonly enabledRoutes: readonly string[];
}

/** Split DNS: domain → nameservers. */
export type SplitDnsMap = Readonly<Record<string, readonly string[]>>;

/** A split DNS PATCH body: a list sets that domain, `null` removes it, unlisted ones stay. */
export type SplitDnsChanges = Readonly<Record<string, readonly string[] | null>>;

export interface TailscaleApi {
  /** GET /tailnet/{tailnet}/devices?fields=all (without fields=all the route fields are missing). */
  listDevices(): Promise<TailscaleDevice[]>;
  /** GET /device/{id}/routes */
  getDeviceRoutes(deviceId: string): Promise<DeviceRoutes>;
  /**
   * POST /device/{id}/routes — REPLACES the device's whole enabled-routes list with `routes`.
   * Callers must GET first and send the union, or they un-approve everyone else's routes.
   */
  replaceEnabledRoutes(deviceId: string, routes: readonly string[]): Promise<DeviceRoutes>;
  /** GET /tailnet/{tailnet}/dns/split-dns */
  getSplitDns(): Promise<SplitDnsMap>;
  /**
   * PATCH /tailnet/{tailnet}/dns/split-dns — changes only the domains sent (`null` removes one)
   * and answers the full map. There is deliberately no PUT-like "set all split DNS" here: PUT
   * replaces every domain of the tailnet, including ones this service does not own.
   */
  updateSplitDns(changes: SplitDnsChanges): Promise<SplitDnsMap>;
}
