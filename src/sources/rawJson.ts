/**
 * Finds the exact text of each element of a top-level array property (`value`) in a JSON document,
 * so incidents are written out byte for byte as the API sent them (numbers beyond 2^53, key order,
 * unknown fields and escapes all kept). The caller has already checked that the document parses.
 */
export function extractArrayElements(json: string, property: string): string[] | undefined {
  return locateArrayElements(json, property)?.elements;
}

/** The elements of the top-level `property` array and where the array stands (`[` at start, `]` at end - 1). */
export function locateArrayElements(json: string, property: string): { elements: string[]; start: number; end: number } | undefined {
  const start = findPropertyArray(json, property);
  if (start === undefined) return undefined;
  const elements: string[] = [];
  let index = skipWhitespace(json, start + 1);
  if (json[index] === ']') return { elements, start, end: index + 1 };
  for (;;) {
    const end = skipValue(json, index);
    elements.push(json.slice(index, end));
    index = skipWhitespace(json, end);
    const char = json[index];
    if (char === ']') return { elements, start, end: index + 1 };
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

// Structural characters of a container; everything between them is skipped by the regex engine.
const STRUCTURAL = /["{}[\]]/g;

/** End index (exclusive) of the JSON value starting at `index`. */
function skipValue(json: string, index: number): number {
  const first = json[index];
  if (first === '"') return skipString(json, index);
  if (first === '{' || first === '[') {
    let depth = 0;
    STRUCTURAL.lastIndex = index;
    for (let match = STRUCTURAL.exec(json); match !== null; match = STRUCTURAL.exec(json)) {
      const char = match[0];
      if (char === '"') {
        STRUCTURAL.lastIndex = skipString(json, match.index);
      } else if (char === '{' || char === '[') {
        depth += 1;
      } else {
        depth -= 1;
        if (depth === 0) return match.index + 1;
      }
    }
    return json.length;
  }
  let i = index;
  while (i < json.length && !',]} \n\r\t'.includes(json[i] ?? '')) i += 1;
  return i;
}

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
