import { spawn, type ChildProcess } from 'child_process';
import { CLI, type CliResult } from './cli';

/** A `defender-export` child process the test can kill at a moment of its choosing. */
export interface ChildRun {
  readonly child: ChildProcess;
  /** Settles when the process has exited (killed or not), with everything it printed. */
  readonly done: Promise<CliResult & { readonly durationMs: number }>;
  /** SIGKILL: no cleanup, no flush, like a host recycled mid-invocation. */
  readonly kill: () => void;
}

/** Starts `defender-export <args>` (from an empty folder, so no local.settings.json is read). */
export function startCli(args: readonly string[], env: Record<string, string>): ChildRun {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult & { durationMs: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started }));
  });
  return {
    child,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
