import { gunzipSync } from 'zlib';
import type { BlockBlobCommitBlockListOptions, ContainerClient } from '@azure/storage-blob';
import type { BlobEncoding } from '../../src/export/blobNames';
import { ExportBlobWriter } from '../../src/export/blobWriter';

/** The writer's block size (BLOCK_BYTES in blobWriter.ts): a block is staged once this much is buffered. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * A block blob in memory. A staged block's bytes are read when its upload completes (a timer later, as on a
 * socket), so a writer that refilled a buffer still in flight would be caught with the wrong bytes.
 */
function fakeContainer() {
  const staged = new Map<string, Buffer>();
  const commits: { blockIds: string[]; options: BlockBlobCommitBlockListOptions }[] = [];
  const blob = {
    stageBlock: (blockId: string, body: Buffer): Promise<void> =>
      new Promise((resolve) =>
        setTimeout(() => {
          staged.set(blockId, Buffer.from(body));
          resolve();
        }, 1),
      ),
    commitBlockList: (blockIds: string[], options: BlockBlobCommitBlockListOptions): Promise<void> => {
      commits.push({ blockIds, options });
      return Promise.resolve();
    },
  };
  return {
    // The writer calls only getBlockBlobClient, and only stageBlock and commitBlockList on what it returns.
    container: { getBlockBlobClient: () => blob } as unknown as ContainerClient,
    commits,
    /** The committed blob's blocks, in commit order. */
    blocks(): Buffer[] {
      const commit = commits[0];
      if (!commit) throw new Error('nothing committed');
      return commit.blockIds.map((id) => {
        const block = staged.get(id);
        if (!block) throw new Error(`block ${id} not staged`);
        return block;
      });
    },
  };
}

const json: BlobEncoding = { format: 'json', compression: 'none' };
const incidentOf = (id: number, bytes: number): string => {
  const head = `{"incidentId":${id},"comment":"`;
  const tail = '"}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
};
const arrayOf = (incidents: readonly string[]): string => `[\n${incidents.join(',\n')}\n]\n`;

async function write(
  incidents: readonly string[],
  encoding: BlobEncoding = json,
): Promise<ReturnType<typeof fakeContainer> & { size: number }> {
  const fake = fakeContainer();
  const writer = new ExportBlobWriter(fake.container, 'exports/part.json', encoding);
  for (const incident of incidents) await writer.append(Buffer.from(incident, 'utf8'));
  const size = await writer.commit({ runid: 'run-1' });
  return { ...fake, size };
}

describe('ExportBlobWriter', () => {
  it('stages a small part as one block holding exactly the JSON array', async () => {
    const incidents = [incidentOf(1, 300), incidentOf(2, 500), '{"incidentId":3,"title":"Ünïcode ✓"}'];

    const result = await write(incidents);

    expect(result.blocks().map((block) => block.toString('utf8'))).toEqual([arrayOf(incidents)]);
    expect(result.size).toBe(Buffer.byteLength(arrayOf(incidents)));
    expect(result.commits[0]?.options.conditions).toEqual({ ifNoneMatch: '*' });
    expect(result.commits[0]?.options.metadata).toMatchObject({ runid: 'run-1', format: 'json', compression: 'none' });
    expect(result.commits[0]?.options.blobHTTPHeaders?.blobContentType).toBe('application/json');
  });

  it('stages a block once 1 MB is buffered, and fills the other buffer while it uploads', async () => {
    // About 2.8 MB: three blocks, so a buffer is refilled while the other uploads.
    const incidents = Array.from({ length: 150 }, (_, i) => incidentOf(i, 19 * 1024));

    const result = await write(incidents);

    const blocks = result.blocks();
    expect(Buffer.concat(blocks).toString('utf8')).toBe(arrayOf(incidents));
    expect(blocks).toHaveLength(3);
    for (const block of blocks.slice(0, -1)) {
      expect(block.length).toBeLessThanOrEqual(BLOCK_BYTES);
      // Staged only when the next piece (an incident of 19 KB) would not fit.
      expect(block.length).toBeGreaterThan(BLOCK_BYTES - 19 * 1024);
    }
  });

  it('makes an incident larger than a block a block of its own', async () => {
    const big = incidentOf(2, BLOCK_BYTES + 1000);
    const incidents = [incidentOf(1, 200), big, incidentOf(3, 200)];

    const result = await write(incidents);

    const blocks = result.blocks().map((block) => block.toString('utf8'));
    expect(blocks.join('')).toBe(arrayOf(incidents));
    expect(blocks).toHaveLength(3);
    expect(blocks[1]).toBe(big);
  });

  it("uploads a large incident's own copy, so the page's reply can be reused while the block is in flight", async () => {
    const fake = fakeContainer();
    const writer = new ExportBlobWriter(fake.container, 'exports/part.json', json);
    const big = incidentOf(1, BLOCK_BYTES + 1000);
    const reply = Buffer.from(big, 'utf8');
    await writer.append(reply);
    // The next page overwrites the reply before the block's upload (a timer later) reads it.
    reply.fill(0x7a);
    await writer.commit({ runid: 'run-1' });
    expect(Buffer.concat(fake.blocks()).toString('utf8')).toBe(arrayOf([big]));
  });

  it('writes ndjson with each incident compacted to one line', async () => {
    const incidents = Array.from({ length: 30 }, (_, i) => `{\n  "incidentId": ${i},\n  "title": "a b"\n}`);

    const result = await write(incidents, { format: 'ndjson', compression: 'none' });

    expect(Buffer.concat(result.blocks()).toString('utf8')).toBe(
      incidents.map((_, i) => `{"incidentId":${i},"title":"a b"}\n`).join(''),
    );
    expect(result.commits[0]?.options.blobHTTPHeaders?.blobContentType).toBe('application/x-ndjson');
  });

  it('gzips each block as one member, so the blob gunzips to the exact JSON', async () => {
    const incidents = Array.from({ length: 80 }, (_, i) => incidentOf(i, 19 * 1024));

    const result = await write(incidents, { format: 'json', compression: 'gzip' });

    const blocks = result.blocks();
    expect(blocks).toHaveLength(2);
    expect(gunzipSync(Buffer.concat(blocks)).toString('utf8')).toBe(arrayOf(incidents));
    expect(result.size).toBe(Buffer.concat(blocks).length);
    expect(result.commits[0]?.options.blobHTTPHeaders?.blobContentType).toBe('application/gzip');
  });
});
