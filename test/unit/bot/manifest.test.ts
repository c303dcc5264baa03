// The Slack app manifests match what the bot expects: its command, one URL for commands and
// buttons (POST /slack/events), the scopes of the Web API methods it calls.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readSlackEnv } from "../../../src/bot/env.ts";

const SLACK = join(import.meta.dirname, "../../../slack");

interface Manifest {
  features: { slash_commands: { command: string; url?: string; should_escape: boolean }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled: boolean;
  };
}

function manifest(file: string): Manifest {
  return parse(readFileSync(join(SLACK, file), "utf8")) as Manifest;
}

describe("Slack app manifests", () => {
  const scopes = ["commands", "chat:write", "chat:write.public", "usergroups:read"];

  it("HTTP: /relay and interactivity both at /slack/events", () => {
    const http = manifest("manifest.yaml");
    expect(http.features.slash_commands).toHaveLength(1);
    const [command] = http.features.slash_commands;
    expect(command?.command).toBe(readSlackEnv({}).SLACK_COMMAND);
    expect(command?.should_escape).toBe(false);
    expect(new URL(command?.url ?? "").pathname).toBe("/slack/events");
    expect(http.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: command?.url,
    });
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(http.oauth_config.scopes.bot).toEqual(scopes);
  });

  it("Socket Mode: the same command and scopes, no URLs", () => {
    const socket = manifest("manifest.socket-mode.yaml");
    expect(socket.features.slash_commands.map((c) => [c.command, c.url])).toEqual([
      ["/relay", undefined],
    ]);
    expect(socket.settings.interactivity).toEqual({ is_enabled: true });
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(socket.oauth_config.scopes.bot).toEqual(scopes);
  });
});
