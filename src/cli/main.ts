import { Command, CommanderError } from 'commander';
import { ConfigError, NoTenantError } from '../common/errors';
import { systemClock } from '../common/clock';
import { loadStorageConfig, type Environment } from '../config/loadConfig';
import { buildContainerClient } from '../runtime/buildDependencies';
import { getRuntime } from '../runtime/exporterRuntime';
import { commandClock } from './commandClock';
import { failFastContainer, type CommandContext } from './commandContext';
import { registerBackfill } from './commands/backfill';
import { registerList } from './commands/list';
import { registerRun } from './commands/run';
import { registerShow } from './commands/show';
import { registerState } from './commands/state';
import { registerStatus } from './commands/status';
import { registerTenants } from './commands/tenants';
import { describeFailure } from './describeFailure';
import { EXIT } from '../common/exitCodes';
import { localEnvironment, readLocalTenant } from '../config/localTenantFile';
import { settingsEnvironment } from '../config/settingsEnvironment';
import { UsageError } from './usageError';
import { printError, printLine, stdoutColumns, terminalLogger, toleratePipeClosing } from './terminal';

/** Builds the `defender-export` program. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('defender-export')
    .description(
      'Export Microsoft 365 Defender incidents to Azure Blob Storage (same settings as the ' +
        'function app: environment, then local.settings.json).',
    )
    .option('-v, --verbose', 'log progress to stderr')
    .option(
      '--local',
      "use the simulated tenant and Azurite of the 'npm start' running in this folder (what 'npm " +
        "run local -- <command>' does)",
    )
    .exitOverride();
  registerRun(program, context);
  registerState(program, context);
  registerList(program, context);
  registerShow(program, context);
  registerStatus(program, context);
  registerBackfill(program, context);
  registerTenants(program, context);
  pointToHelpAfterErrors(program);
  return program;
}

/** After a usage error, one line pointing to the command's own help instead of the whole usage text. */
function pointToHelpAfterErrors(command: Command, path: readonly string[] = []): void {
  const names = [...path, command.name()];
  command.showHelpAfterError(`see ${names.join(' ')} --help`);
  for (const sub of command.commands) pointToHelpAfterErrors(sub, names);
}

/** The settings of this process: the usual ones, or with --local those of the simulated tenant `npm start` runs here. */
function commandSettings(local: boolean): { env: Environment; tlsCa?: string } {
  const base = settingsEnvironment(process.env, process.cwd());
  if (!local) return { env: base };
  const tenant = readLocalTenant(process.cwd());
  return { env: localEnvironment(base, tenant), tlsCa: tenant.caCertPem };
}

/** Entry point of bin/defender-export.js. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  toleratePipeClosing();
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  const local = argv.includes('--local');
  const clock = commandClock(systemClock);
  return execute(
    {
      runtime: () => {
        const { env, tlsCa } = commandSettings(local);
        return getRuntime(env, { clock, ...(tlsCa === undefined ? {} : { tlsCa }) });
      },
      storage: () => {
        const config = loadStorageConfig(commandSettings(local).env);
        const container = failFastContainer(buildContainerClient(config));
        const stateContainer =
          config.stateContainer === config.container
            ? container
            : failFastContainer(buildContainerClient(config, { which: 'state' }));
        return { container, stateContainer, clock: systemClock };
      },
      environment: () => commandSettings(local).env,
      logger: terminalLogger(verbose),
      print: printLine,
      columns: stdoutColumns(),
      waits: clock,
    },
    argv,
  );
}

/**
 * Parses `argv`, runs the command and returns the process exit code: what the command set through
 * `setExitCode` (0 unless it did) when it completed, or the code of its failure after printing it.
 */
export async function execute(
  base: Omit<CommandContext, 'setExitCode' | 'note'>,
  argv: readonly string[],
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const context: CommandContext = {
    runtime: () => base.runtime(),
    storage: () => base.storage(),
    ...(base.environment === undefined ? {} : { environment: () => base.environment?.() ?? {} }),
    logger: base.logger,
    print: (text) => base.print(text),
    note: (text) => printError(text),
    columns: base.columns,
    waits: base.waits,
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
    printError(`error: ${describeFailure(error)}`);
    if (error instanceof ConfigError || error instanceof NoTenantError || error instanceof UsageError)
      return EXIT.usage;
    return EXIT.failed;
  }
}
