/**
 * Small edits to the query of a request URL (ours or an API's nextLink) that leave every other
 * parameter byte for byte as it was, so a fallback asks for exactly the same page minus one option.
 */

/** Encodes OData query options the way the incidents sources send them (`%20` for spaces, not `+`). */
export function encodeQuery(options: Readonly<Record<string, string>>): string {
  return new URLSearchParams(options).toString().replace(/\+/g, '%20');
}

/** True when the URL's query carries the option (`$expand`, `$orderby`, ...), however it is encoded. */
export function hasQueryOption(url: string, name: string): boolean {
  return splitQuery(url).parameters.some((parameter) => parameterName(parameter) === name);
}

/** The URL without the option; the URL unchanged when it has no such option. */
export function withoutQueryOption(url: string, name: string): string {
  const { base, parameters, fragment } = splitQuery(url);
  const kept = parameters.filter((parameter) => parameterName(parameter) !== name);
  if (kept.length === parameters.length) return url;
  return `${base}${kept.length > 0 ? `?${kept.join('&')}` : ''}${fragment}`;
}

function splitQuery(url: string): { base: string; parameters: string[]; fragment: string } {
  const hashAt = url.indexOf('#');
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const withoutFragment = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = withoutFragment.indexOf('?');
  if (queryAt === -1) return { base: withoutFragment, parameters: [], fragment };
  const query = withoutFragment.slice(queryAt + 1);
  return { base: withoutFragment.slice(0, queryAt), parameters: query === '' ? [] : query.split('&'), fragment };
}

function parameterName(parameter: string): string {
  const raw = parameter.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
