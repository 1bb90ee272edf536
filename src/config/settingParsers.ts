/**
 * The small parsers the settings table is built from. Each turns one setting's trimmed text into a typed
 * value, or into one problem that names the setting and says how to fix it.
 */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function problem<T>(text: string): Parsed<T> {
  return { ok: false, problem: text };
}

/** Applies `convert` to a parsed value (e.g. MB to bytes); a problem passes through. */
export function mapParsed<T, U>(parsed: Parsed<T>, convert: (value: T) => U): Parsed<U> {
  return parsed.ok ? ok(convert(parsed.value)) : parsed;
}

/** An https URL without trailing slashes (or with exactly one, for Key Vault). */
export function httpsUrl(
  name: string,
  text: string | undefined,
  example: string,
  trailingSlash = false,
): Parsed<string> {
  if (text === undefined) return problem(`${name} is missing: set it to an https URL (${example}).`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return problem(`${name} '${text}' is not a URL: set it to an https URL (${example}).`);
  }
  if (url.protocol !== 'https:') return problem(`${name} '${text}' must use https (${example}).`);
  const normalised = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return ok(trailingSlash ? `${normalised}/` : normalised);
}

/** A finite number within `range`; `what` completes "'x' is not ...". */
export function numberIn(
  name: string,
  text: string,
  range: { readonly min: number; readonly max: number; readonly what: string },
): Parsed<number> {
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < range.min || value > range.max)
    return problem(`${name} '${text}' is not ${range.what}.`);
  return ok(value);
}

/** One of `choices`, case-insensitively. */
export function oneOf<T extends string>(
  name: string,
  text: string,
  choices: readonly [T, ...T[]],
  fix?: string,
): Parsed<T> {
  const value = choices.find((choice) => choice === text.toLowerCase());
  if (value === undefined)
    return problem(`${name} '${text}' is not one of ${choices.join(', ')}${fix ? `: ${fix}` : ''}.`);
  return ok(value);
}

/** A calendar date `YYYY-MM-DD` as epoch ms at 00:00 UTC. */
export function utcDate(name: string, text: string): Parsed<number> {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text)
    return problem(`${name} '${text}' is not a date: use YYYY-MM-DD (UTC), e.g. 2026-11-01.`);
  return ok(ms);
}
