// The listener registry: every `/relay` subcommand and every button, by name.
import { addDomain } from "./add-domain.ts";
import { check } from "./check.ts";
import type { ActionHandler, Command } from "./command.ts";
import { helpCommand } from "./help.ts";
import { list } from "./list.ts";
import { cancelRemoval, confirmRemoval, removeDomain } from "./remove-domain.ts";
import { status } from "./status.ts";

export const COMMANDS: readonly Command[] = [
  addDomain,
  removeDomain,
  list,
  status,
  check,
  helpCommand(() => COMMANDS),
];

export const ACTIONS: readonly ActionHandler[] = [confirmRemoval, cancelRemoval];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

export function findAction(actionId: string): ActionHandler | undefined {
  return ACTIONS.find((action) => action.actionId === actionId);
}
