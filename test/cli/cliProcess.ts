import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ContainerClient } from '@azure/storage-blob';
import type { ChildRun } from '../support/childRun';
import type { AzuriteBlob } from '../../src/local/azurite';

/** A fresh empty folder to run a CLI process in (HOME and cwd), so no local.settings.json is read. */
export function emptyFolder(): string {
  return mkdtempSync(join(tmpdir(), 'defender-export-cli-'));
}

/** Only what the read-only commands need: the storage of `container` on Azurite, nothing of a tenant. */
export function storageEnvironment(azurite: AzuriteBlob, container: ContainerClient): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: emptyFolder(), EXPORT_STORAGE: azurite.connectionString, EXPORT_CONTAINER: container.containerName };
}

/** Resolves once the process printed something matching `pattern` on `stream` (rejects if it exits first). */
export function printed(run: ChildRun, stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const source = run.child[stream];
    if (source === null) {
      reject(new Error(`no ${stream}`));
      return;
    }
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (pattern.test(text)) {
        source.off('data', onData);
        resolve();
      }
    };
    source.on('data', onData);
    void run.done.then(() => reject(new Error(`exited before printing ${String(pattern)} on ${stream}: ${text}`)));
  });
}

/** Like `producer | head -1`: closes the read end of stdout as soon as the first bytes arrive. */
export function closeStdoutAfterFirstBytes(run: ChildRun): void {
  run.child.stdout?.once('data', () => run.child.stdout?.destroy());
}
