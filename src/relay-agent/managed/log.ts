// The log calls the managed-mode parts make: pino's (fields, message) shape, so a pino logger or
// a recording test logger fits.
export interface ManagedLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
