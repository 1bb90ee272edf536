import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';

describe('startAzurite', () => {
  let azurite: AzuriteBlob;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite.close();
  });

  it('serves the real storage SDK on a loopback port, in memory', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('smoke');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a.json').upload('[]', 2);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(names).toEqual(['a.json']);
  });
});
