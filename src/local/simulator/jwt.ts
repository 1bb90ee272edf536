import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims the simulated Entra puts in an access token. */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  appid: string;
  azp: string;
  oid: string;
  sub: string;
  tid: string;
  uti: string;
  ver: '1.0';
  roles?: string[];
}

function base64Url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs claims as an HS256 JWT with the tenant's server key (tests never need to verify it themselves). */
export function signJwt(claims: AccessTokenClaims, key: Buffer): string {
  const header = base64Url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const payload = base64Url(JSON.stringify(claims));
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Verifies the signature and returns the payload (still `unknown`: the caller checks the claims). */
export function verifyJwt(token: string, key: Buffer): unknown {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  if (header === undefined || payload === undefined || signature === undefined) return undefined;
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
