// The API's structured log: one object per line. Node passes pino; Workers write JSON lines to
// the console (wrangler tail and Workers Logs keep them as fields).

export type LogFields = Record<string, unknown>;

export interface ApiLog {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

const line = (level: string, fields: LogFields, message: string) =>
  JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message });

export const consoleJsonLog: ApiLog = {
  info: (fields, message) => console.log(line("info", fields, message)),
  warn: (fields, message) => console.warn(line("warn", fields, message)),
  error: (fields, message) => console.error(line("error", fields, message)),
};
