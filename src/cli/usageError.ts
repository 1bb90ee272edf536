import { ExporterError } from '../common/errors';

/** Arguments that parse but cannot be right (a watermark in the future): one line, exit code 2, nothing attempted. */
export class UsageError extends ExporterError {
  constructor(message: string) {
    super(message, { code: 'InvalidArguments' });
  }
}
