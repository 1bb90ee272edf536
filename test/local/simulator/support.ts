import { Agent } from 'node:https';
import { ClientSecretCredential } from '@azure/identity';
import fetch, { type Response } from 'node-fetch';
import type { SimulatedTenant } from '../../../src/local/simulator';

/** Scopes of the three resources the simulated Entra knows. */
export const SCOPES = {
  defender: 'https://api.security.microsoft.com/.default',
  graph: 'https://graph.microsoft.com/.default',
  vault: 'https://vault.azure.net/.default',
} as const;

/** A real ClientSecretCredential pointed at the simulated login server only (never a non-loopback host). */
export function credentialFor(
  tenant: SimulatedTenant,
  app: { clientId: string; clientSecret: string },
  tenantId = tenant.tenantId,
): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, app.clientId, app.clientSecret, {
    authorityHost: tenant.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: tenant.caCertPem },
    retryOptions: { maxRetries: 0 },
  });
}

export async function tokenFor(tenant: SimulatedTenant, scope: string, app = tenant.exporterApp): Promise<string> {
  const token = await credentialFor(tenant, app).getToken(scope);
  return token.token;
}

export interface JsonResponse {
  status: number;
  headers: Response['headers'];
  body: unknown;
  text: string;
}

/** GET with node-fetch v2 trusting the tenant's CA; the body is parsed when it is JSON. */
export async function getJson(tenant: SimulatedTenant, url: string, token?: string): Promise<JsonResponse> {
  const agent = new Agent({ ca: tenant.caCertPem, keepAlive: false });
  try {
    const response = await fetch(url, {
      agent,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseOrText(text), text };
  } finally {
    agent.destroy();
  }
}

/** POSTs a form to the token endpoint, to see Entra's error bodies directly. */
export async function postTokenForm(
  tenant: SimulatedTenant,
  form: Record<string, string>,
  tenantId = tenant.tenantId,
): Promise<JsonResponse> {
  const agent = new Agent({ ca: tenant.caCertPem });
  try {
    const response = await fetch(`${tenant.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseOrText(text), text };
  } finally {
    agent.destroy();
  }
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads a property path of parsed JSON without casting. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = new Map<string, unknown>(Object.entries(current)).get(String(key));
  }
  return current;
}

/** The `value` array of a list reply (fails the test when absent). */
export function valueOf(body: unknown): unknown[] {
  const value = pick(body, 'value');
  if (!Array.isArray(value)) throw new Error(`reply has no value array: ${JSON.stringify(body).slice(0, 200)}`);
  return value;
}

export function idsOf(body: unknown, idField: 'incidentId' | 'id'): unknown[] {
  return valueOf(body).map((incident) => pick(incident, idField));
}

/** A controllable clock for the tenant. */
export function manualClock(startMs = Date.UTC(2026, 10, 27, 8, 0, 0)): {
  now: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
} {
  let current = startMs;
  return { now: () => current, advance: (ms) => (current += ms), set: (ms) => (current = ms) };
}
