import { createLogger, redact, type Logger } from '../common/logger';

/** Where stderr lines go: straight to stderr, or above a progress bar while one is drawn. */
let stderrLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
/** Set once the reader of stdout went away (`| head -1`): the rest of the output has nobody to read it. */
let stdoutClosed = false;

/**
 * Lets the process end quietly when its reader closes a pipe (`show latest | head -1`): without this, the
 * next write fails with EPIPE and Node prints a stack trace. Output after that is dropped; the command
 * finishes and exits with its own code. Called by the process entry point only, never in tests.
 */
export function toleratePipeClosing(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stdoutClosed = true;
  });
  // NOTE: with stderr gone there is nobody left to tell anything; keep working instead of crashing.
  process.stderr.on('error', () => undefined);
}

/**
 * Sends stderr lines (logs, errors) through `route` until the returned function is called: a progress bar
 * clears its line, prints the log line and redraws itself below it.
 */
export function routeStderrLines(route: (line: string) => void): () => void {
  const previous = stderrLine;
  stderrLine = route;
  return () => {
    stderrLine = previous;
  };
}

/** Log lines of a command go to stderr (stdout is for results, so it can be piped). */
export function terminalLogger(verbose: boolean): Logger {
  const write = (level: string) => (line: string) => {
    // Without --verbose only warnings show: a failure is printed once, as the command's final 'error:' line.
    if (level !== 'warn' && !verbose) return;
    stderrLine(`${new Date().toISOString()} ${level.padEnd(5)} ${line}`);
  };
  return createLogger({ info: write('info'), warn: write('warn'), error: write('error') });
}

/** Prints a result line (redacted like every log line). */
export function printLine(text: string): void {
  if (stdoutClosed) return;
  process.stdout.write(`${redact(text)}\n`);
}

/** Prints a line for people on stderr: an error, or a note next to a result (redacted). */
export function printError(text: string): void {
  stderrLine(redact(text));
}

/** Columns of the terminal stdout is shown on; undefined when stdout is a pipe or a file (print everything). */
export function stdoutColumns(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}
