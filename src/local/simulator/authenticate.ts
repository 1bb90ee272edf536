import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, type Directory, type TokenCheck } from './directory';

export type AuthResult = TokenCheck | { ok: false; reason: 'missing'; message: string };

/** Checks `Authorization: Bearer` against the directory for one resource (audience). */
export function authenticate(headers: IncomingHttpHeaders, directory: Directory, resource: string): AuthResult {
  const token = bearerToken(headers.authorization);
  if (token === undefined) return { ok: false, reason: 'missing', message: 'The request has no bearer token.' };
  return directory.validateToken(token, resource);
}

/** True when the token carries one of the roles. */
export function hasAnyRole(roles: readonly string[], required: readonly string[]): boolean {
  return required.some((role) => roles.includes(role));
}
