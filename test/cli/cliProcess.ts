import type { ContainerClient } from '@azure/storage-blob';
import type { ChildRun } from '../support/childRun';
import type { AzuriteBlob } from '../../src/local/azurite';

import { emptyFolder } from '../support/cli';

export { emptyFolder } from '../support/cli';

/** Only what the read-only commands need: the storage of `container` on Azurite, nothing of a tenant. */
export function storageEnvironment(azurite: AzuriteBlob, container: ContainerClient): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: emptyFolder(),
    EXPORT_STORAGE: azurite.connectionString,
    EXPORT_CONTAINER: container.containerName,
  };
}

/** Everything a process printed so far, and a way to wait for a line (what was printed before the wait counts too). */
export interface WatchedOutput {
  text(stream: 'stdout' | 'stderr'): string;
  /** Resolves once `pattern` matches what `stream` printed so far; rejects if the process exits first. */
  until(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void>;
}

/** Starts collecting a process's output; call right after starting it. */
export function watchOutput(run: ChildRun): WatchedOutput {
  const texts = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    run.child[stream]?.on('data', (chunk: Buffer) => {
      texts[stream] += chunk.toString();
      for (const check of waiters) check();
    });
  }
  return {
    text: (stream) => texts[stream],
    until: (stream, pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(texts[stream])) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
        void run.done.then(() => {
          if (waiters.delete(check))
            reject(new Error(`exited before printing ${String(pattern)} on ${stream}: ${texts[stream]}`));
        });
      }),
  };
}

/** Like `producer | head -1`: closes the read end of stdout as soon as the first bytes arrive. */
export function closeStdoutAfterFirstBytes(run: ChildRun): void {
  run.child.stdout?.once('data', () => run.child.stdout?.destroy());
}

/** Like `producer | true`: closes the read end of stdout before the process can write anything, so its first write fails. */
export function closeStdoutAtOnce(run: ChildRun): void {
  run.child.stdout?.destroy();
}
