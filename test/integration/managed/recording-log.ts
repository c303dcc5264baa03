// A logger that keeps every line, for asserting what the agent said and how often.
export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export class RecordingLog {
  readonly lines: LogLine[] = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "info", message, fields });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "warn", message, fields });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "error", message, fields });
  }
  at(level: LogLine["level"]): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

export async function eventually(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
