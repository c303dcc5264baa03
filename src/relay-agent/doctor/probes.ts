// Real network probes for doctor: ping, route lookup, TCP connect.
import { connect } from "node:net";
import type { Exec } from "../host/exec.ts";

export function pingWith(exec: Exec): (address: string) => Promise<boolean> {
  return (address) =>
    exec(
      "ping",
      [address.includes(":") ? "-6" : "-4", "-c", "3", "-i", "0.2", "-W", "1", address],
      {
        timeoutMs: 5000,
      },
    ).then(
      () => true,
      () => false,
    );
}

export function routeDeviceWith(exec: Exec): (address: string) => Promise<string | undefined> {
  return async (address) => {
    try {
      const { stdout } = await exec("ip", ["-6", "-j", "route", "get", address]);
      const [route] = JSON.parse(stdout) as { dev?: string; type?: string }[];
      return route?.type === "unreachable" ? undefined : route?.dev;
    } catch {
      return undefined;
    }
  };
}

export function tcpConnect(
  address: string,
  port: number,
  timeoutMs = 3000,
): Promise<"open" | "refused" | "timeout"> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (result: "open" | "refused" | "timeout") => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    socket.on("connect", () => done("open"));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" ? "refused" : "timeout"),
    );
  });
}
