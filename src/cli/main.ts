import { Command, CommanderError } from 'commander';
import { ConfigError, describeError } from '../common/errors';
import { systemClock } from '../common/clock';
import { loadStorageConfig } from '../config/loadConfig';
import { buildContainerClient } from '../runtime/buildDependencies';
import { getRuntime } from '../runtime/exporterRuntime';
import type { CommandContext } from './commandContext';
import { registerBackfill } from './commands/backfill';
import { registerList } from './commands/list';
import { registerRun } from './commands/run';
import { registerShow } from './commands/show';
import { registerState } from './commands/state';
import { registerStatus } from './commands/status';
import { EXIT } from './exitCodes';
import { settingsEnvironment } from './settingsEnvironment';
import { printError, printLine, terminalLogger } from './terminal';

/** Builds the `defender-export` program. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('defender-export')
    .description('Export Microsoft 365 Defender incidents to Azure Blob Storage (same settings as the function app: environment, then local.settings.json).')
    .option('-v, --verbose', 'log progress to stderr')
    .exitOverride()
    .showHelpAfterError();
  registerRun(program, context);
  registerState(program, context);
  registerList(program, context);
  registerShow(program, context);
  registerStatus(program, context);
  registerBackfill(program, context);
  return program;
}

/** Entry point of bin/defender-export.js. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  return execute(
    {
      runtime: () => getRuntime(settingsEnvironment(process.env, process.cwd())),
      storage: () => ({ container: buildContainerClient(loadStorageConfig(settingsEnvironment(process.env, process.cwd()))), clock: systemClock }),
      logger: terminalLogger(verbose),
      print: printLine,
    },
    argv,
  );
}

/**
 * Parses `argv`, runs the command and returns the process exit code: what the command set through
 * `setExitCode` (0 unless it did) when it completed, or the code of its failure after printing it.
 */
export async function execute(base: Omit<CommandContext, 'setExitCode'>, argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const context: CommandContext = {
    runtime: () => base.runtime(),
    storage: () => base.storage(),
    logger: base.logger,
    print: (text) => base.print(text),
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  try {
    await buildProgram(context).parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    printError(`error: ${describeError(error)}`);
    if (error instanceof ConfigError) return EXIT.usage;
    return EXIT.failed;
  }
}
