import { systemClock } from '../../src/common/clock';
import { createLogger } from '../../src/common/logger';
import { execute } from '../../src/cli/main';
import type { World } from './world';

/** What one in-process command printed and how it exited. */
export interface WorldCliResult {
  readonly exitCode: number;
  readonly lines: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `defender-export <args>` in this process through the real program and exit codes (`execute`), on the world's
 * runtime (its explicit vault identity, Azurite and the simulated tenant) and its settings: what the command line
 * does against a deployment, without a child process.
 */
export async function runWorldCli(world: World, args: readonly string[]): Promise<WorldCliResult> {
  const lines: string[] = [];
  let stderr = '';
  const writeStderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const logger = createLogger({
    info: (line) => world.logLines.push(line),
    warn: (line) => world.logLines.push(line),
    error: (line) => world.logLines.push(line),
  });
  try {
    const exitCode = await execute(
      {
        runtime: () => world.runtime,
        storage: () => ({
          container: world.deps.container,
          stateContainer: world.deps.stateContainer,
          clock: systemClock,
        }),
        environment: () => world.env,
        logger,
        print: (text) => lines.push(...text.split('\n')),
      },
      ['node', 'defender-export', ...args],
    );
    return { exitCode, lines, stdout: lines.join('\n'), stderr };
  } finally {
    writeStderr.mockRestore();
  }
}
