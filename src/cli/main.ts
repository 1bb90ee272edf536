import { Command, CommanderError } from 'commander';
import { ConfigError, describeError } from '../common/errors';
import { getRuntime } from '../runtime/exporterRuntime';
import type { CommandContext } from './commandContext';
import { registerRun } from './commands/run';
import { registerState } from './commands/state';
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
  return program;
}

/** Entry point of bin/defender-export.js. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  const context: CommandContext = {
    runtime: () => getRuntime(settingsEnvironment(process.env, process.cwd())),
    logger: terminalLogger(verbose),
    print: printLine,
  };
  try {
    await buildProgram(context).parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    printError(`error: ${describeError(error)}`);
    if (error instanceof ConfigError) return EXIT.usage;
    return EXIT.failed;
  }
}
