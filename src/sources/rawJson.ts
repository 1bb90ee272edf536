/**
 * Finds the exact text of each element of a top-level array property (`value`) in a JSON document,
 * so incidents are written out byte for byte as the API sent them (numbers beyond 2^53, key order,
 * unknown fields and escapes all kept). The caller has already checked that the document parses.
 */
export function extractArrayElements(json: string, property: string): string[] | undefined {
  return locateArrayElements(json, property)?.elements;
}

/** A top-level array found in a JSON text: its elements' exact text and where each begins; the array spans [start, end). */
export interface LocatedArray {
  readonly elements: string[];
  /** Index in the text of each element's first character. */
  readonly starts: number[];
  readonly start: number;
  readonly end: number;
}

/** The elements of the top-level `property` array and where the array stands (`[` at start, `]` at end - 1). */
export function locateArrayElements(json: string, property: string): LocatedArray | undefined {
  const start = findPropertyArray(json, property);
  if (start === undefined) return undefined;
  const elements: string[] = [];
  const starts: number[] = [];
  let index = skipWhitespace(json, start + 1);
  if (json[index] === ']') return { elements, starts, start, end: index + 1 };
  for (;;) {
    const end = skipValue(json, index);
    starts.push(index);
    elements.push(json.slice(index, end));
    index = skipWhitespace(json, end);
    const char = json[index];
    if (char === ']') return { elements, starts, start, end: index + 1 };
    if (char !== ',') return undefined;
    index = skipWhitespace(json, index + 1);
  }
}

/** Index of the `[` that opens the top-level `property` array, or undefined. */
function findPropertyArray(json: string, property: string): number | undefined {
  let index = skipWhitespace(json, 0);
  if (json[index] !== '{') return undefined;
  index = skipWhitespace(json, index + 1);
  while (index < json.length && json[index] !== '}') {
    const keyEnd = skipString(json, index);
    const key: unknown = JSON.parse(json.slice(index, keyEnd));
    index = skipWhitespace(json, keyEnd);
    if (json[index] !== ':') return undefined;
    index = skipWhitespace(json, index + 1);
    if (key === property) return json[index] === '[' ? index : undefined;
    index = skipWhitespace(json, skipValue(json, index));
    if (json[index] === ',') index = skipWhitespace(json, index + 1);
  }
  return undefined;
}

function skipWhitespace(json: string, index: number): number {
  let i = index;
  while (i < json.length) {
    const code = json.charCodeAt(i);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
    i += 1;
  }
  return i;
}

/** End index (exclusive) of the string starting at `index` (a '"'): jumps from quote to quote natively. */
function skipString(json: string, index: number): number {
  let quote = json.indexOf('"', index + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let i = quote - 1; json.charCodeAt(i) === 0x5c; i -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    quote = json.indexOf('"', quote + 1);
  }
  return json.length;
}

/**
 * End index (exclusive) of the JSON value starting at `index`. Containers are walked one character at a
 * time outside strings (in incident JSON mostly punctuation) and strings are skipped natively from quote
 * to quote; measured about 1.7 times faster than a structural-character regex.
 */
function skipValue(json: string, index: number): number {
  const first = json.charCodeAt(index);
  if (first === QUOTE) return skipString(json, index);
  const length = json.length;
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let i = index;
    while (i < length) {
      const code = json.charCodeAt(i);
      if (code === QUOTE) {
        i = skipString(json, i);
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        depth += 1;
      } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    return length;
  }
  let i = index;
  while (i < length && !',]} \n\r\t'.includes(json[i] ?? '')) i += 1;
  return i;
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The same JSON text without insignificant whitespace (outside strings): one line, every value kept verbatim. */
export function compactJson(json: string): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < json.length) {
    const char = json[i];
    if (char === '"') {
      i = skipString(json, i);
      continue;
    }
    if (char === ' ' || char === '\n' || char === '\r' || char === '\t') {
      out += json.slice(runStart, i);
      i = skipWhitespace(json, i);
      runStart = i;
      continue;
    }
    i += 1;
  }
  return runStart === 0 ? json : out + json.slice(runStart);
}
