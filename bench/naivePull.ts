import { Agent } from 'https';
import type { TokenCredential } from '@azure/identity';
import type { ContainerClient } from '@azure/storage-blob';
import fetch from 'node-fetch';

/**
 * The naive reference the bench compares against, as the Hello World scripts do it: every page into
 * memory with $top/$skip, one JSON.stringify, one upload. Not part of the app.
 */
export async function naivePull(options: {
  apiUrl: string;
  credential: TokenCredential;
  container: ContainerClient;
  ca: string;
  since: string;
}): Promise<{ incidents: number; apiCalls: number; bytes: number }> {
  const agent = new Agent({ keepAlive: true, ca: options.ca });
  const token = await options.credential.getToken('https://api.security.microsoft.com/.default');
  if (!token) throw new Error('no token');
  const all: unknown[] = [];
  let apiCalls = 0;
  for (let skip = 0; ; skip += 100) {
    const filter = encodeURIComponent(`lastUpdateTime ge ${options.since}`);
    const response = await fetch(`${options.apiUrl}/api/incidents?$filter=${filter}&$top=100&$skip=${skip}`, {
      headers: { Authorization: `Bearer ${token.token}` },
      agent,
    });
    apiCalls += 1;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as { value: unknown[] };
    all.push(...body.value);
    if (body.value.length < 100) break;
  }
  const text = JSON.stringify(all);
  const bytes = Buffer.byteLength(text);
  await options.container.getBlockBlobClient(`naive/${Date.now()}.json`).upload(text, bytes);
  agent.destroy();
  return { incidents: all.length, apiCalls, bytes };
}
