// Strict command-line parsing shared by every `nat64-relay` command: one `node:util` parseArgs
// per subcommand with `strict: true`, and its errors reworded to one line that names the culprit
// (and the flag meant, when one is close). Every command exits 2 for these: 0 ok, 1 failed check
// or refused, 2 usage (a bad option, argument or environment variable).
import { type ParseArgsConfig, parseArgs } from "node:util";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | undefined>;

/** The exit status for a command line (or environment) the command cannot use. */
export const USAGE_EXIT = 2;

/** The closest known name within two edits, for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j] ?? 0;
        row[j] = Math.min(
          above + 1,
          (row[j - 1] ?? 0) + 1,
          diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        diagonal = above;
      }
    }
    return row[b.length] ?? Number.POSITIVE_INFINITY;
  };
  const ranked = known
    .map((name) => ({ name, cost: distance(word, name) }))
    .filter((entry) => entry.cost <= 2)
    .sort((a, b) => a.cost - b.cost);
  return ranked[0]?.name;
}

/** parseArgs' own message reworded to one line naming the culprit. */
function usageProblem(error: NodeJS.ErrnoException, options: Options): string {
  const culprit = error.message.match(/'([^']+)'/)?.[1] ?? "";
  const flags = Object.keys(options).map((name) => `--${name}`);
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const hint = closest(culprit, flags);
      return `unknown option ${culprit}${hint ? ` (did you mean ${hint}?)` : ""}`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${culprit}"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      // "argument missing" (last word) and "ambiguous" (followed by another option, as in
      // `--client --help`) both mean the value is missing; only "does not take" is the reverse.
      return error.message.includes("does not take an argument")
        ? `option ${culprit.split(" ")[0]} takes no value`
        : `option ${culprit.split(" ")[0]} needs a value`;
    default:
      return error.message.split("\n")[0] ?? error.message;
  }
}

export type Parsed =
  | { readonly ok: true; readonly values: Values; readonly positionals: string[] }
  | { readonly ok: false; readonly problem: string };

/** parseArgs with strict options; a mistake comes back as one line, never thrown. */
export function parseStrict(args: string[], options: Options, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals });
    return { ok: true, values: values as Values, positionals };
  } catch (error) {
    return { ok: false, problem: usageProblem(error as NodeJS.ErrnoException, options) };
  }
}

const HELP_ONLY = { help: { type: "boolean", short: "h" } } as const satisfies Options;

/**
 * For a command configured only from the environment (`api`, `bot`): the exit code when argv
 * asks for help (0) or holds anything else (2, one line and the help), undefined when it is
 * empty and the command should run.
 */
export function helpOrRun(command: string, argv: string[], help: string): number | undefined {
  const parsed = parseStrict(argv, HELP_ONLY, false);
  if (parsed.ok && !parsed.values.help) return undefined;
  if (parsed.ok) {
    console.log(help);
    return 0;
  }
  console.error(`${command}: ${parsed.problem}\n\n${help}`);
  return USAGE_EXIT;
}
