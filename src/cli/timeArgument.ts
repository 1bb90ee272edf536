import { InvalidArgumentError } from 'commander';
import { parseTimestamp, type Timestamp } from '../common/timestamp';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const WITHOUT_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/;

/**
 * Parses a time given on the command line (`--from`, `--to`, `--watermark`): ISO 8601 with a time zone,
 * 0 to 7 fractional digits. The error says what is missing, with an example built from the input.
 */
export function parseTimeArgument(value: string): Timestamp {
  const text = value.trim();
  const parsed = parseTimestamp(text);
  if (parsed !== undefined) return parsed;
  if (DATE_ONLY.test(text))
    throw new InvalidArgumentError(
      `It has no time and no time zone: write e.g. ${text}T00:00:00Z (UTC) or ${text}T00:00:00+01:00.`,
    );
  const withoutZone = WITHOUT_ZONE.exec(text);
  if (withoutZone) {
    const time = `${withoutZone[1] ?? ''}T${withoutZone[2] ?? ''}${withoutZone[3] ?? ':00'}`;
    if (parseTimestamp(`${time}Z`) !== undefined)
      throw new InvalidArgumentError(`It has no time zone: add Z (UTC) or an offset, e.g. ${time}Z or ${time}+01:00.`);
  }
  throw new InvalidArgumentError(
    `'${text}' is not an ISO 8601 time; use e.g. 2026-11-27T07:30:00Z (UTC) or 2026-11-27T08:30:00+01:00.`,
  );
}
