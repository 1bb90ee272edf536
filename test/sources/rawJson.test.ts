import { readFileSync } from 'fs';
import { join } from 'path';
import { compactJson, extractArrayElements, locateArrayElements } from '../../src/sources/rawJson';

const compact = (text: string): string => compactJson(Buffer.from(text, 'utf8')).toString('utf8');

describe('extractArrayElements', () => {
  it('returns each element exactly as written, big numbers, escapes and spacing included', () => {
    const text =
      '{"@odata.context":"x","value":[ {"incidentId": 12345678901234567890, "name":"a ' +
      '\\"quoted\\" ]}"} ,{"b":[1,{"c":"}"}]}, 3, "s"]}';
    expect(extractArrayElements(text, 'value')).toEqual([
      '{"incidentId": 12345678901234567890, "name":"a \\"quoted\\" ]}"}',
      '{"b":[1,{"c":"}"}]}',
      '3',
      '"s"',
    ]);
  });

  it('delimits elements exactly, backslashes before quotes included', () => {
    const text = '{"value":[{"p":"C:\\\\dir\\\\","q":"\\"]"}, ["[",{"x":"\\\\"}] ,7]}';
    const elements = extractArrayElements(text, 'value');
    expect(elements).toEqual(['{"p":"C:\\\\dir\\\\","q":"\\"]"}', '["[",{"x":"\\\\"}]', '7']);
    expect(JSON.parse(`[${elements?.join(',') ?? ''}]`)).toEqual((JSON.parse(text) as { value: unknown[] }).value);
  });

  it('gives byte offsets in the reply, multi-byte characters included', () => {
    const bytes = Buffer.from('{"é":"ü","value":[{"a":"😀]"},{"b":"é"}]}', 'utf8');
    const located = locateArrayElements(bytes, 'value');
    expect(located?.elements.map(({ start, end }) => bytes.toString('utf8', start, end))).toEqual([
      '{"a":"😀]"}',
      '{"b":"é"}',
    ]);
    expect(bytes.toString('utf8', located?.start, located?.end)).toBe('[{"a":"😀]"},{"b":"é"}]');
  });

  it('finds the array after other properties and handles an empty one', () => {
    expect(extractArrayElements('{"a":{"value":[9]},"value":[]}', 'value')).toEqual([]);
    expect(extractArrayElements('{"other":1}', 'value')).toBeUndefined();
  });

  it('splits the documentation sample into its incidents', () => {
    const text = readFileSync(join(__dirname, '../fixtures/m365d-list-incidents-response.json'), 'utf8');
    const elements = extractArrayElements(text, 'value') ?? [];
    const parsed = JSON.parse(text) as { value: unknown[] };
    expect(elements).toHaveLength(parsed.value.length);
    expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(parsed.value);
  });
});

describe('compactJson', () => {
  it('removes whitespace outside strings only, keeping every value verbatim', () => {
    expect(compact('{\n  "a": 12345678901234567890,\n  "b": "x  y\\n z",\t"c": [ 1.50 , true ]\n}')).toBe(
      '{"a":12345678901234567890,"b":"x  y\\n z","c":[1.50,true]}',
    );
    expect(compact('{"already":"compact"}')).toBe('{"already":"compact"}');
    expect(compact('{ "é" : "a b" }')).toBe('{"é":"a b"}');
  });
});
