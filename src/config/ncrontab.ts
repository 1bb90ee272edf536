/**
 * Six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC), the format of
 * Azure Functions timer schedules. Parsed here so a bad schedule is reported at start with the rest of
 * the settings, and so the local host can run the same schedule without the Functions runtime.
 * NOTE: https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 */
export interface Schedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (UTC), or undefined within the next five years. */
  next(after: Date): Date | undefined;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

function parseValue(text: string, field: FieldSpec): number {
  const lower = text.toLowerCase();
  const named = field.names?.findIndex((n) => lower === n || lower === fullName(n)) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(text)) throw new Error(`'${text}' is not a valid ${field.name}`);
  const value = Number(text);
  if (value < field.min || value > field.max)
    throw new Error(`${field.name} ${value} is outside ${field.min}-${field.max}`);
  return value;
}

function fullName(short: string): string {
  const full: Record<string, string> = {
    sun: 'sunday',
    mon: 'monday',
    tue: 'tuesday',
    wed: 'wednesday',
    thu: 'thursday',
    fri: 'friday',
    sat: 'saturday',
  };
  return full[short] ?? short;
}

function parseField(text: string, field: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`step '${stepText ?? ''}' in ${field.name} must be a positive whole number`);
    let low: number;
    let high: number;
    if (range === '*') {
      low = field.min;
      high = field.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      low = parseValue(a, field);
      high = parseValue(b, field);
      if (low > high) throw new Error(`range '${range}' in ${field.name} runs backwards`);
    } else {
      low = parseValue(range, field);
      high = stepText === undefined ? low : field.max;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

/** Parses a six-field NCRONTAB expression; throws an Error whose message says what is wrong. */
export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(
      `'${expression}' has ${parts.length} fields; NCRONTAB needs 6: {second} {minute} {hour} ` +
        `{day} {month} {day-of-week}, e.g. '0 */5 * * * *'`,
    );
  }
  const sets = parts.map((part, index) => {
    const field = FIELDS[index];
    if (!field) throw new Error('unreachable');
    return parseField(part, field);
  });
  const [seconds, minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const dayIsStar = parts[3] === '*';
  const weekdayIsStar = parts[5] === '*';
  const dayMatches = (date: Date): boolean => {
    const byDay = days.has(date.getUTCDate());
    const byWeekday = weekdays.has(date.getUTCDay());
    if (dayIsStar && weekdayIsStar) return true;
    if (dayIsStar) return byWeekday;
    if (weekdayIsStar) return byDay;
    return byDay || byWeekday;
  };
  const next = (after: Date): Date | undefined => {
    const candidate = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    const limit = after.getTime() + 5 * 366 * 86_400_000;
    while (candidate.getTime() <= limit) {
      if (!months.has(candidate.getUTCMonth() + 1)) {
        candidate.setUTCMonth(candidate.getUTCMonth() + 1, 1);
        candidate.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!dayMatches(candidate)) {
        candidate.setUTCDate(candidate.getUTCDate() + 1);
        candidate.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!hours.has(candidate.getUTCHours())) {
        candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!minutes.has(candidate.getUTCMinutes())) {
        candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      if (!seconds.has(candidate.getUTCSeconds())) {
        candidate.setUTCSeconds(candidate.getUTCSeconds() + 1, 0);
        continue;
      }
      return new Date(candidate.getTime());
    }
    return undefined;
  };
  return { expression, next };
}
