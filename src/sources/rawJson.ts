/**
 * Finds the exact bytes of each element of a top-level array property (`value`) in a JSON reply, so
 * incidents are written out byte for byte as the API sent them (numbers beyond 2^53, key order, unknown
 * fields and escapes all kept). Works on the UTF-8 bytes, never decoding the whole reply into one string:
 * in UTF-8 no byte of a multi-byte character is below 0x80, so the structural characters are unambiguous.
 * It only delimits; the caller proves each piece is valid JSON by parsing it.
 */

/** A top-level array found in a JSON reply: where each element lies, and where the array stands ([start, end)). */
export interface LocatedArray {
  /** Byte ranges [start, end) of the elements. */
  readonly elements: readonly { readonly start: number; readonly end: number }[];
  /** Offset of the `[`. */
  readonly start: number;
  /** Offset just past the `]`. */
  readonly end: number;
}

/** Each element of the top-level `property` array as text (for tests and small documents). */
export function extractArrayElements(json: string, property: string): string[] | undefined {
  const bytes = Buffer.from(json, 'utf8');
  return locateArrayElements(bytes, property)?.elements.map(({ start, end }) => bytes.toString('utf8', start, end));
}

/** The elements of the top-level `property` array and where the array stands, or undefined. */
export function locateArrayElements(json: Buffer, property: string): LocatedArray | undefined {
  const start = findPropertyArray(json, property);
  if (start === undefined) return undefined;
  const elements: { start: number; end: number }[] = [];
  let index = skipWhitespace(json, start + 1);
  if (json[index] === CLOSE_BRACKET) return { elements, start, end: index + 1 };
  for (;;) {
    const end = skipValue(json, index);
    elements.push({ start: index, end });
    index = skipWhitespace(json, end);
    const code = json[index];
    if (code === CLOSE_BRACKET) return { elements, start, end: index + 1 };
    if (code !== COMMA) return undefined;
    index = skipWhitespace(json, index + 1);
  }
}

/** Offset of the `[` that opens the top-level `property` array, or undefined. */
function findPropertyArray(json: Buffer, property: string): number | undefined {
  let index = skipWhitespace(json, 0);
  if (json[index] !== OPEN_BRACE) return undefined;
  index = skipWhitespace(json, index + 1);
  while (index < json.length && json[index] !== CLOSE_BRACE) {
    const keyEnd = skipString(json, index);
    const key: unknown = JSON.parse(json.toString('utf8', index, keyEnd));
    index = skipWhitespace(json, keyEnd);
    if (json[index] !== COLON) return undefined;
    index = skipWhitespace(json, index + 1);
    if (key === property) return json[index] === OPEN_BRACKET ? index : undefined;
    index = skipWhitespace(json, skipValue(json, index));
    if (json[index] === COMMA) index = skipWhitespace(json, index + 1);
  }
  return undefined;
}

function isWhitespace(code: number | undefined): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(json: Buffer, index: number): number {
  let i = index;
  while (i < json.length && isWhitespace(json[i])) i += 1;
  return i;
}

/** End offset (exclusive) of the string starting at `index` (a '"'): jumps from quote to quote natively. */
function skipString(json: Buffer, index: number): number {
  let quote = json.indexOf(QUOTE, index + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let i = quote - 1; json[i] === BACKSLASH; i -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    quote = json.indexOf(QUOTE, quote + 1);
  }
  return json.length;
}

/**
 * End offset (exclusive) of the JSON value starting at `index`. Containers are walked a byte at a time
 * outside strings (in incident JSON mostly punctuation) and strings are skipped natively from quote to
 * quote.
 */
function skipValue(json: Buffer, index: number): number {
  const first = json[index];
  if (first === QUOTE) return skipString(json, index);
  const length = json.length;
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let i = index;
    while (i < length) {
      const code = json[i];
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
  while (i < length) {
    const code = json[i];
    if (code === COMMA || code === CLOSE_BRACKET || code === CLOSE_BRACE || isWhitespace(code)) break;
    i += 1;
  }
  return i;
}

/** The same JSON without insignificant whitespace (outside strings): one line, every value's bytes kept. */
export function compactJson(json: Buffer): Buffer {
  const runs: Buffer[] = [];
  let runStart = 0;
  let i = 0;
  while (i < json.length) {
    const code = json[i];
    if (code === QUOTE) {
      i = skipString(json, i);
      continue;
    }
    if (isWhitespace(code)) {
      runs.push(json.subarray(runStart, i));
      i = skipWhitespace(json, i);
      runStart = i;
      continue;
    }
    i += 1;
  }
  if (runStart === 0) return json;
  runs.push(json.subarray(runStart));
  return Buffer.concat(runs);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
