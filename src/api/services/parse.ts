import type { z } from "zod";
import { zodProblems } from "../../core/config/parse-relay-config.ts";
import { RelayError } from "../../core/errors.ts";

/** Parses a verb's input or throws invalid_input naming every bad field path. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = zodProblems(result.error);
  throw new RelayError(
    "invalid_input",
    `invalid input: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ")}`,
    problems,
  );
}
