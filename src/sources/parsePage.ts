import { ApiError } from '../common/errors';
import { parseTimestamp } from '../common/timestamp';
import type { RawIncident } from './incident';
import { locateArrayElements, type LocatedArray } from './rawJson';

/** Field names of one API's incidents. */
export interface IncidentFields {
  readonly apiName: string;
  readonly id: string;
  readonly lastUpdate: string;
}

/**
 * Checks a list reply (`{"value": [...], "@odata.nextLink"?}`) and returns its incidents with their exact
 * text. The page is parsed one incident at a time (the envelope apart), so a large page never exists as
 * one object tree. Invalid JSON (a truncated reply) throws a SyntaxError, which the client retries;
 * anything we rely on that is missing or malformed fails the page with a message naming it.
 */
export function parseIncidentPage(text: string, fields: IncidentFields, body?: Buffer): { incidents: RawIncident[]; nextLink: string | undefined } {
  const located = locateArrayElements(text, 'value');
  // The rest of the reply without the array: proves the whole text is valid JSON and carries the nextLink.
  const envelope: unknown = JSON.parse(located ? `${text.slice(0, located.start)}[]${text.slice(located.end)}` : text);
  if (!located || typeof envelope !== 'object' || envelope === null || !Array.isArray(Reflect.get(envelope, 'value'))) {
    throw malformed(fields, "the reply has no 'value' array");
  }
  const nextLinkValue: unknown = Reflect.get(envelope, '@odata.nextLink');
  if (nextLinkValue !== undefined && nextLinkValue !== null && typeof nextLinkValue !== 'string') throw malformed(fields, "'@odata.nextLink' is not a string");
  const bytes = body ? elementBytes(text, body, located) : undefined;
  const incidents = located.elements.map((json, index): RawIncident => {
    const item: unknown = JSON.parse(json);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw malformed(fields, `element ${index} is not an object`);
    const id: unknown = Reflect.get(item, fields.id);
    if ((typeof id !== 'number' || !Number.isFinite(id)) && (typeof id !== 'string' || id === '')) throw malformed(fields, `element ${index} has no valid '${fields.id}'`);
    const lastUpdate: unknown = Reflect.get(item, fields.lastUpdate);
    const lastUpdateTime = typeof lastUpdate === 'string' ? parseTimestamp(lastUpdate) : undefined;
    if (!lastUpdateTime) throw malformed(fields, `incident ${String(id)} has no valid '${fields.lastUpdate}' (got ${JSON.stringify(lastUpdate) ?? 'nothing'})`);
    const exact = bytes?.[index];
    return exact ? { id: String(id), lastUpdateTime, json, bytes: exact } : { id: String(id), lastUpdateTime, json };
  });
  return { incidents, nextLink: typeof nextLinkValue === 'string' ? nextLinkValue : undefined };
}

/**
 * Each element's bytes within the reply as received (views, not copies), so they are written without
 * being encoded again. Undefined when the text is not a lossless decoding of the body: a U+FFFD in it
 * may stand for invalid UTF-8, and then the text (with the replacement) is what gets written, as before.
 */
function elementBytes(text: string, body: Buffer, located: LocatedArray): Buffer[] | undefined {
  if (text.includes('\uFFFD') || Buffer.byteLength(text) !== body.length) return undefined;
  const { elements, starts } = located;
  // One byte per character (ASCII): character and byte offsets coincide.
  if (body.length === text.length) return elements.map((element, index) => body.subarray(starts[index], (starts[index] ?? 0) + element.length));
  const views: Buffer[] = [];
  let charAt = 0;
  let byteAt = 0;
  for (const [index, element] of elements.entries()) {
    const start = starts[index] ?? 0;
    byteAt += Buffer.byteLength(text.slice(charAt, start));
    const length = Buffer.byteLength(element);
    views.push(body.subarray(byteAt, byteAt + length));
    byteAt += length;
    charAt = start + element.length;
  }
  return views;
}

function malformed(fields: IncidentFields, what: string): ApiError {
  return new ApiError(`${fields.apiName} sent a malformed incidents page: ${what}. Nothing was written and the watermark is unchanged; if this persists, report the reply's shape.`, { code: 'MalformedResponse' });
}
