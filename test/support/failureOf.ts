import { ExporterError } from '../../src/common/errors';

/** The exporter's error that `action` fails with; any other outcome fails the test. */
export async function failureOf(action: () => Promise<unknown>): Promise<ExporterError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ExporterError) return error;
    throw error;
  }
  throw new Error('expected the action to fail');
}
