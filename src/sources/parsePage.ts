import { isUtf8 } from 'buffer';
import { ApiError } from '../common/errors';
import { parseTimestamp, type Timestamp } from '../common/timestamp';
import type { ApiClient } from './apiClient';
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
 * Each incident's `json` is a view into `body`: valid while the reply is held (ApiClient.getHeld), so a
 * page costs no copy and leaves no garbage behind (an incident whose bytes are not valid UTF-8 gets bytes of
 * its own, decoded with U+FFFD, so what is written is always valid UTF-8). Invalid JSON (a truncated reply)
 * throws a SyntaxError, which the client retries; anything we rely on that is missing or malformed fails the
 * page with a message naming it.
 */
export function parseIncidentPage(body: Buffer, fields: IncidentFields): ParsedPage {
  const located = locateArrayElements(body, 'value');
  const hold = { expired: false };
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
    const view = body.subarray(start, end);
    return new HeldIncident(String(id), lastUpdateTime, isUtf8(view) ? view : Buffer.from(text, 'utf8'), hold);
  });
  return {
    incidents,
    nextLink: typeof nextLinkValue === 'string' ? nextLinkValue : undefined,
    expire: () => (hold.expired = true),
  };
}

/**
 * GETs one list page and keeps its reply held: the incidents are views into it until `release`, which the pager
 * calls once the caller asked for the next page (keysetPager.ts).
 */
export async function fetchIncidentPage(
  client: Pick<ApiClient, 'getHeld'>,
  url: string,
  fields: IncidentFields,
  abortSignal: AbortSignal | undefined,
): Promise<FetchedPage> {
  const reply = await client.getHeld(url, (body) => parseIncidentPage(body, fields), abortSignal);
  const { expire, ...page } = reply.value;
  return {
    ...page,
    release: () => {
      expire();
      reply.release();
    },
  };
}

/** A page's incidents, and the nextLink the API gave with them. */
interface IncidentList {
  readonly incidents: RawIncident[];
  readonly nextLink: string | undefined;
}

/** A parsed page, its incidents' bytes still in the reply. */
export interface ParsedPage extends IncidentList {
  /** Marks the incidents' bytes as no longer valid (called when the reply is released). */
  readonly expire: () => void;
}

/** A fetched page: its incidents are valid until `release` (absent: they are not held). */
export interface FetchedPage extends IncidentList {
  readonly release?: () => void;
}

/**
 * An incident whose bytes are a view into a held reply. Reading them after the reply was released (a later
 * reply may have overwritten them) throws instead of returning another incident's bytes.
 */
class HeldIncident implements RawIncident {
  constructor(
    readonly id: string,
    readonly lastUpdateTime: Timestamp,
    private readonly bytes: Buffer,
    private readonly hold: { expired: boolean },
  ) {}

  get json(): Buffer {
    if (this.hold.expired)
      throw new Error(`incident ${this.id}: its bytes were read after its page was released (a bug: copy them first)`);
    return this.bytes;
  }
}

function malformed(fields: IncidentFields, what: string): ApiError {
  return new ApiError(
    `${fields.apiName} sent a malformed incidents page: ${what}. Nothing was written and the ` +
      `watermark is unchanged; if this persists, report the reply's shape.`,
    { code: 'MalformedResponse' },
  );
}
