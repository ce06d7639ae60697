/** A real pino logger (with the project's redaction) whose lines a test can read. */
import { createLogger, type Logger } from '../../src/log.js';

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(level = 'trace'): CapturedLog {
  const lines: string[] = [];
  const log = createLogger({ level, destination: { write: (s: string) => void lines.push(s) } });
  return { log, lines, text: () => lines.join('') };
}
