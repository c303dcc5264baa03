// Bounds on JSON that callers send (docs/security.md, "Control API"). Both checks are loops,
// never recursion: a body nested 100k deep must cost a scan, not the stack.

/** Nesting depth of JSON text: the most `[`/`{` open at once, strings skipped. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b /* [ */ || char === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === 0x5d /* ] */ || char === 0x7d /* } */) depth--;
  }
  return deepest;
}

/** Nesting depth of a parsed value (a scalar is 0, `{}` and `[]` are 1), level by level. */
export function jsonValueDepth(value: unknown): number {
  const isContainer = (item: unknown): item is object => item !== null && typeof item === "object";
  let depth = 0;
  let level: unknown[] = [value];
  for (;;) {
    const containers = level.filter(isContainer);
    if (containers.length === 0) return depth;
    depth++;
    level = containers.flatMap((container) => Object.values(container));
  }
}
