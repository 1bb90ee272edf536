/** The Microsoft clouds the exporter knows: `DEFENDER_CLOUD`. */
export const CLOUD_NAMES = ['public', 'gcc', 'gcchigh', 'dod'] as const;

/** One of `CLOUD_NAMES`. */
export type CloudName = (typeof CLOUD_NAMES)[number];

/** Where a cloud's APIs and its Entra authority are, and the token scope each API wants. */
export interface CloudEndpoints {
  readonly name: CloudName;
  /** Defender XDR API base (list incidents at `/api/incidents`). */
  readonly defenderApiUrl: string;
  /** Client-credentials scope of the Defender XDR API; the same for every regional host of the cloud. */
  readonly defenderScope: string;
  /** Microsoft Graph base (incidents at `/v1.0/security/incidents`). */
  readonly graphApiUrl: string;
  readonly graphScope: string;
  /** Entra authority host (token endpoint `{host}/{tenant}/oauth2/v2.0/token`). */
  readonly authorityHost: string;
}

/**
 * Endpoints per cloud.
 * - Defender XDR hosts and login per cloud: learn.microsoft.com/defender-xdr/usgov#api (MicrosoftDocs/defender-docs
 *   defender-xdr/usgov.md): GCC `api-gcc.security.microsoft.us` + `login.microsoftonline.com`; GCC High and DoD
 *   `api-gov.security.microsoft.us` + `login.microsoftonline.us`.
 * - Defender token scope: the docs say only that commercial tokens are acquired for `https://api.security.microsoft.com`
 *   (learn.microsoft.com/defender-xdr/api-supported). For government clouds the resource is the API host itself, as in
 *   CISA's Untitled Goose Tool (cisagov/untitledgoosetool goosey/auth.py: `https://api-gcc.security.microsoft.us`,
 *   `https://api-gov.security.microsoft.us`) and GCC scripts using `https://api-gcc.security.microsoft.us/.default`.
 *   NOTE: `api-gov.securitycenter.microsoft.us` is the Defender for *Endpoint* API (defender-endpoint/gov#api), a
 *   different resource; it is not used here.
 * - Graph hosts and scopes: learn.microsoft.com/graph/deployments and /graph/sdks/national-clouds ("any .default scope
 *   must use the domain of the national cloud's Graph root"): GCC stays on `graph.microsoft.com`, GCC High (L4)
 *   `graph.microsoft.us`, DoD (L5) `dod-graph.microsoft.us`.
 */
export const CLOUDS: Readonly<Record<CloudName, CloudEndpoints>> = {
  public: {
    name: 'public',
    defenderApiUrl: 'https://api.security.microsoft.com',
    defenderScope: 'https://api.security.microsoft.com/.default',
    graphApiUrl: 'https://graph.microsoft.com',
    graphScope: 'https://graph.microsoft.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  gcc: {
    name: 'gcc',
    defenderApiUrl: 'https://api-gcc.security.microsoft.us',
    defenderScope: 'https://api-gcc.security.microsoft.us/.default',
    graphApiUrl: 'https://graph.microsoft.com',
    graphScope: 'https://graph.microsoft.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  gcchigh: {
    name: 'gcchigh',
    defenderApiUrl: 'https://api-gov.security.microsoft.us',
    defenderScope: 'https://api-gov.security.microsoft.us/.default',
    graphApiUrl: 'https://graph.microsoft.us',
    graphScope: 'https://graph.microsoft.us/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
  dod: {
    name: 'dod',
    defenderApiUrl: 'https://api-gov.security.microsoft.us',
    defenderScope: 'https://api-gov.security.microsoft.us/.default',
    graphApiUrl: 'https://dod-graph.microsoft.us',
    graphScope: 'https://dod-graph.microsoft.us/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
};

/** The cloud named by `DEFENDER_CLOUD` (case-insensitive), or undefined when it is not one we know. */
export function findCloud(name: string): CloudEndpoints | undefined {
  const wanted = name.trim().toLowerCase();
  const match = CLOUD_NAMES.find((candidate) => candidate === wanted);
  return match === undefined ? undefined : CLOUDS[match];
}
