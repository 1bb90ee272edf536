import { encodeQuery, hasQueryOption, withoutQueryOption } from '../../src/sources/queryOptions';

describe('query option edits', () => {
  const ours =
    `https://graph.microsoft.com/v1.0/security/incidents?` +
    `${encodeQuery({ $filter: 'lastUpdateDateTime ge 2026-11-27T07:00:00Z', $top: '50', $expand: 'alerts' })}`;
  const theirs =
    'https://graph.microsoft.com/v1.0/security/incidents?$filter=lastUpdateDateTime+ge+2026-11-27T07:00:00Z&$expand=alerts&$top=50&$skip=50';

  it('encodes spaces as %20', () => {
    expect(ours).toContain('lastUpdateDateTime%20ge%20');
  });

  it('finds an option whether its $ is encoded or not', () => {
    expect(hasQueryOption(ours, '$expand')).toBe(true);
    expect(hasQueryOption(theirs, '$expand')).toBe(true);
    expect(hasQueryOption(theirs, '$orderby')).toBe(false);
  });

  it('removes only that option and keeps the rest byte for byte', () => {
    expect(withoutQueryOption(theirs, '$expand')).toBe(
      'https://graph.microsoft.com/v1.0/security/incidents?$filter=lastUpdateDateTime+ge+2026-11-27T07:00:00Z&$top=50&$skip=50',
    );
    expect(withoutQueryOption(ours, '$expand')).toBe(ours.replace('&%24expand=alerts', ''));
  });

  it('leaves a URL without the option unchanged and drops an emptied query', () => {
    expect(withoutQueryOption(theirs, '$orderby')).toBe(theirs);
    expect(withoutQueryOption('https://h/p?$expand=alerts#frag', '$expand')).toBe('https://h/p#frag');
  });
});
