// Finds processes by their command line (/proc), to stop a tayga left behind by a killed agent.
import { readdir, readFile } from "node:fs/promises";

export async function pidsWithCommandLine(
  matches: (argv: readonly string[]) => boolean,
  procRoot = "/proc",
): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const cmdline = await readFile(`${procRoot}/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline && matches(cmdline.split("\0").filter(Boolean))) pids.push(Number(entry));
  }
  return pids;
}

/** tayga processes started with our config file, whoever started them. */
export function isTaygaWithConfig(confPath: string): (argv: readonly string[]) => boolean {
  return (argv) => /(^|\/)tayga$/.test(argv[0] ?? "") && argv.includes(confPath);
}
