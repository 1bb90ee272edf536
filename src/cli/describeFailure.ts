import { describeError, StorageError } from '../common/errors';
import { property, stringProperty } from '../common/jsonFields';

/** Socket errors that mean nothing answers at that address (as opposed to an answer we did not like). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Azurite on this machine: its development account on a loopback address (UseDevelopmentStorage=true is 127.0.0.1:10000). */
const LOCAL_EMULATOR = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/devstoreaccount1\//;

/**
 * The one line a failed command prints after `error: `. Blob storage that nothing answers gets its own
 * message (the local emulator: start it; Azure: the endpoint and the network), because the messages of the
 * layers below name a role, which is the fix for a 403 only.
 */
export function describeFailure(error: unknown): string {
  const unreachable = findUnreachable(error);
  if (unreachable !== undefined) {
    const { code, url } = unreachable;
    const origin = url === undefined ? undefined : new URL(url).origin;
    if (url !== undefined && LOCAL_EMULATOR.test(url)) {
      return (
        `The local storage emulator at ${origin ?? url} is not running (${code}): start 'npm ` +
        `start' in the project folder (it starts Azurite), or Azurite itself, then try again.`
      );
    }
    if (isStorage(error, url)) {
      return (
        `Blob storage${origin === undefined ? '' : ` at ${origin}`} cannot be reached (${code}): ` +
        `check EXPORT_STORAGE (or EXPORT_STORAGE__blobServiceUri) and the network.`
      );
    }
  }
  return describeError(error);
}

/** The first error in the cause chain whose socket found nobody, with the URL it asked for when known. */
function findUnreachable(error: unknown): { code: string; url: string | undefined } | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = stringProperty(current, 'code');
    if (code !== undefined && UNREACHABLE.has(code))
      return { code, url: stringProperty(property(current, 'request'), 'url') };
    current = property(current, 'cause');
  }
  return undefined;
}

function isStorage(error: unknown, url: string | undefined): boolean {
  if (error instanceof StorageError) return true;
  return (
    url !== undefined &&
    /\.blob\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/.test(new URL(url).hostname)
  );
}
