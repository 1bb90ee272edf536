import { isUtf8 } from 'buffer';
import { ApiError } from '../common/errors';
import { parseTimestamp } from '../common/timestamp';
import type { RawIncident } from './incident';
import { locateArrayElements } from './rawJson';

/** Field names of one API's incidents. */
export interface IncidentFields {
  readonly apiName: string;
  readonly id: string;
  readonly lastUpdate: string;
}

/**
 * Checks a list reply (`{"value": [...], "@odata.nextLink"?}`, as received) and returns its incidents
 * with their exact bytes. The page is parsed one incident at a time (the envelope apart), so a large page
 * never exists as one string or one object tree; each incident's text lives only while it is checked.
 * What is kept is one copy of the array's bytes per page, never reused (nothing returned refers to `body`,
 * which the client reuses for the next reply), with each incident a view into it: no per-incident string
 * outlives the parse, which is what kept a tenant's pages in the JS heap until a full collection (an
 * incident's bytes that are not valid UTF-8 are kept as decoded, with U+FFFD, as before). Invalid JSON (a
 * truncated reply) throws a SyntaxError, which the client retries; anything we rely on that is missing or
 * malformed fails the page with a message naming it.
 */
export function parseIncidentPage(
  body: Buffer,
  fields: IncidentFields,
): { incidents: RawIncident[]; nextLink: string | undefined } {
  const located = locateArrayElements(body, 'value');
  // The rest of the reply without the array: proves the whole reply is valid JSON and carries the nextLink.
  const envelope: unknown = JSON.parse(
    located
      ? `${body.toString('utf8', 0, located.start)}[]${body.toString('utf8', located.end)}`
      : body.toString('utf8'),
  );
  if (!located || typeof envelope !== 'object' || envelope === null || !Array.isArray(Reflect.get(envelope, 'value'))) {
    throw malformed(fields, "the reply has no 'value' array");
  }
  const nextLinkValue: unknown = Reflect.get(envelope, '@odata.nextLink');
  if (nextLinkValue !== undefined && nextLinkValue !== null && typeof nextLinkValue !== 'string')
    throw malformed(fields, "'@odata.nextLink' is not a string");
  // One allocation for the page rather than one per incident (each a view into it).
  const bytes = Buffer.allocUnsafeSlow(located.end - located.start);
  body.copy(bytes, 0, located.start, located.end);
  const incidents = located.elements.map(({ start, end }, index): RawIncident => {
    const text = body.toString('utf8', start, end);
    const item: unknown = JSON.parse(text);
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw malformed(fields, `element ${index} is not an object`);
    const id: unknown = Reflect.get(item, fields.id);
    if ((typeof id !== 'number' || !Number.isFinite(id)) && (typeof id !== 'string' || id === ''))
      throw malformed(fields, `element ${index} has no valid '${fields.id}'`);
    const lastUpdate: unknown = Reflect.get(item, fields.lastUpdate);
    const lastUpdateTime = typeof lastUpdate === 'string' ? parseTimestamp(lastUpdate) : undefined;
    if (!lastUpdateTime)
      throw malformed(
        fields,
        `incident ${String(id)} has no valid '${fields.lastUpdate}' (got ${JSON.stringify(lastUpdate) ?? 'nothing'})`,
      );
    const view = bytes.subarray(start - located.start, end - located.start);
    return { id: String(id), lastUpdateTime, json: isUtf8(view) ? view : Buffer.from(text, 'utf8') };
  });
  return { incidents, nextLink: typeof nextLinkValue === 'string' ? nextLinkValue : undefined };
}

function malformed(fields: IncidentFields, what: string): ApiError {
  return new ApiError(
    `${fields.apiName} sent a malformed incidents page: ${what}. Nothing was written and the ` +
      `watermark is unchanged; if this persists, report the reply's shape.`,
    { code: 'MalformedResponse' },
  );
}
