import { createLogger, redact, type Logger } from '../common/logger';

/** Log lines of a command go to stderr (stdout is for results, so it can be piped). */
export function terminalLogger(verbose: boolean): Logger {
  const write = (level: string) => (line: string) => {
    // Without --verbose only warnings show: a failure is printed once, as the command's final 'error:' line.
    if (level !== 'warn' && !verbose) return;
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${line}\n`);
  };
  return createLogger({ info: write('info'), warn: write('warn'), error: write('error') });
}

/** Prints a result line (redacted like every log line). */
export function printLine(text: string): void {
  process.stdout.write(`${redact(text)}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${redact(text)}\n`);
}
