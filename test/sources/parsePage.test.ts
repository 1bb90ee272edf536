import { readFileSync } from 'fs';
import { isUtf8 } from 'buffer';
import { join } from 'path';
import { parseIncidentPage } from '../../src/sources/parsePage';

const defender = { apiName: 'Defender API', id: 'incidentId', lastUpdate: 'lastUpdateTime' };
const graph = { apiName: 'Graph API', id: 'id', lastUpdate: 'lastUpdateDateTime' };
const reply = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('parseIncidentPage', () => {
  it("reads the Defender documentation's example reply", () => {
    const text = readFileSync(join(__dirname, '../fixtures/m365d-list-incidents-response.json'), 'utf8');
    const { incidents, nextLink } = parseIncidentPage(reply(text), defender);
    expect(incidents.length).toBeGreaterThan(0);
    expect(nextLink).toBeUndefined();
    for (const incident of incidents) {
      expect(incident.id).toMatch(/^\d+$/);
      expect(incident.lastUpdateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
      expect(text).toContain(incident.json.toString());
    }
  });

  it("reads the Graph documentation's example reply", () => {
    const text = readFileSync(join(__dirname, '../fixtures/graph-list-incidents-response.json'), 'utf8');
    const { incidents } = parseIncidentPage(reply(text), graph);
    expect(incidents.length).toBeGreaterThan(0);
    for (const incident of incidents) expect(text).toContain(incident.json.toString());
  });

  it('keeps unknown fields, merged incidents and huge ids exactly as received', () => {
    const text =
      '{"value":[{"incidentId":9007199254740993,"lastUpdateTime":"2026-11-27T07:00:00.12Z",' +
      '"status":"Redirected","redirectIncidentId":7,"futureField":{"x":[1.50]}}]}';
    const [incident] = parseIncidentPage(reply(text), defender).incidents;
    expect(incident?.json.toString()).toBe(
      '{"incidentId":9007199254740993,"lastUpdateTime":"2026-11-27T07:00:00.12Z","status":"Redirected","redirectIncidentId":7,"futureField":{"x":[1.50]}}',
    );
    expect(incident?.lastUpdateTime).toBe('2026-11-27T07:00:00.1200000Z');
  });

  it("keeps each incident's exact bytes as a view into the reply, multi-byte characters included", () => {
    const text =
      '{"value": [ {"incidentId":1,"lastUpdateTime":"2026-11-27T07:00:01Z","t":"é \\u00e9 😀"} ' +
      ',\n{"incidentId":2,"lastUpdateTime":"2026-11-27T07:00:00Z","u":"ü"}]}';
    const body = reply(text);
    const { incidents } = parseIncidentPage(body, defender);
    expect(incidents.map((incident) => incident.json.toString())).toEqual([
      '{"incidentId":1,"lastUpdateTime":"2026-11-27T07:00:01Z","t":"é \\u00e9 😀"}',
      '{"incidentId":2,"lastUpdateTime":"2026-11-27T07:00:00Z","u":"ü"}',
    ]);
    // No copy: the bytes are the reply's own, valid while the reply is held.
    for (const incident of incidents) expect(incident.json.buffer).toBe(body.buffer);
  });

  it('refuses to give out the bytes once the page expired (its reply released, to be reused)', () => {
    const page = parseIncidentPage(
      reply('{"value":[{"incidentId":1,"lastUpdateTime":"2026-11-27T07:00:00Z"}]}'),
      defender,
    );
    const [incident] = page.incidents;
    page.expire();
    expect(() => incident?.json).toThrow(/incident 1: its bytes were read after its page was released/);
    expect(incident?.id).toBe('1');
  });

  it('decodes invalid UTF-8 to U+FFFD, so what gets written is valid UTF-8', () => {
    const body = Buffer.concat([
      Buffer.from('{"value":[{"incidentId":1,"lastUpdateTime":"2026-11-27T07:00:00Z","t":"'),
      Buffer.from([0xff, 0xf0, 0x9f, 0x98]),
      Buffer.from('"}]}'),
    ]);
    const [incident] = parseIncidentPage(body, defender).incidents;
    expect(incident?.json.toString()).toContain('\uFFFD');
    expect(isUtf8(incident?.json ?? Buffer.alloc(0))).toBe(true);
  });

  it('throws a SyntaxError (retried by the client) on a truncated reply', () => {
    expect(() =>
      parseIncidentPage(reply('{"value":[{"incidentId":1,"lastUpdateTime":"2026-11-27T07:00:00Z"},{"incid'), defender),
    ).toThrow(SyntaxError);
  });

  it.each([
    ['no value array', '{"error":"x"}', /no 'value' array/],
    ['an element that is not an object', '{"value":[1]}', /element 0 is not an object/],
    ['a missing id', '{"value":[{"lastUpdateTime":"2026-11-27T07:00:00Z"}]}', /no valid 'incidentId'/],
    [
      'a malformed time',
      '{"value":[{"incidentId":1,"lastUpdateTime":"yesterday"}]}',
      /incident 1 has no valid 'lastUpdateTime'/,
    ],
    ['a nextLink that is not a string', '{"value":[],"@odata.nextLink":5}', /nextLink/],
  ])('fails the page with a named problem on %s', (_name, text, message) => {
    expect(() => parseIncidentPage(reply(text), defender)).toThrow(message);
  });
});
