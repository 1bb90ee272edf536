import { ApiError } from '../common/errors';
import { parseTimestamp } from '../common/timestamp';
import type { RawIncident } from './incident';
import type { JsonReply } from './apiClient';
import { extractArrayElements } from './rawJson';

/** Field names of one API's incidents. */
export interface IncidentFields {
  readonly apiName: string;
  readonly id: string;
  readonly lastUpdate: string;
}

/**
 * Checks a list reply (`{"value": [...], "@odata.nextLink"?}`) and returns its incidents with their exact
 * text. Anything we rely on that is missing or malformed fails the page with a message naming it.
 */
export function parseIncidentPage(reply: JsonReply, fields: IncidentFields): { incidents: RawIncident[]; nextLink: string | undefined } {
  const { body, text } = reply;
  const value: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'value') : undefined;
  if (!Array.isArray(value)) {
    throw malformed(fields, "the reply has no 'value' array");
  }
  const nextLinkValue: unknown = Reflect.get(body as object, '@odata.nextLink');
  if (nextLinkValue !== undefined && nextLinkValue !== null && typeof nextLinkValue !== 'string') throw malformed(fields, "'@odata.nextLink' is not a string");
  const texts = extractArrayElements(text, 'value');
  if (!texts || texts.length !== value.length) throw malformed(fields, "could not read the 'value' array's elements");
  const incidents = value.map((item: unknown, index): RawIncident => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw malformed(fields, `element ${index} is not an object`);
    const id: unknown = Reflect.get(item, fields.id);
    if ((typeof id !== 'number' || !Number.isFinite(id)) && (typeof id !== 'string' || id === '')) throw malformed(fields, `element ${index} has no valid '${fields.id}'`);
    const lastUpdate: unknown = Reflect.get(item, fields.lastUpdate);
    const lastUpdateTime = typeof lastUpdate === 'string' ? parseTimestamp(lastUpdate) : undefined;
    if (!lastUpdateTime) throw malformed(fields, `incident ${String(id)} has no valid '${fields.lastUpdate}' (got ${JSON.stringify(lastUpdate) ?? 'nothing'})`);
    return { id: String(id), lastUpdateTime, json: texts[index] ?? '' };
  });
  return { incidents, nextLink: typeof nextLinkValue === 'string' ? nextLinkValue : undefined };
}

function malformed(fields: IncidentFields, what: string): ApiError {
  return new ApiError(`${fields.apiName} sent a malformed incidents page: ${what}. Nothing was written and the watermark is unchanged; if this persists, report the reply's shape.`, { code: 'MalformedResponse' });
}
