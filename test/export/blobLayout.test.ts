import { SINGLE_TENANT_LAYOUT, tenantLayout, tenantMetadata } from '../../src/export/blobLayout';
import { RECOVERY_HINT, STATE_BLOB } from '../../src/export/exportState';

describe('blob layout', () => {
  it("keeps today's names without a registry", () => {
    expect(SINGLE_TENANT_LAYOUT).toMatchObject({
      root: '',
      exportPrefix: 'incidents/',
      backfillPrefix: 'backfill/',
      stateBlob: STATE_BLOB,
      backfillJobPrefix: 'state/backfill/',
      recoveryHint: RECOVERY_HINT,
    });
    expect(tenantMetadata(SINGLE_TENANT_LAYOUT)).toEqual({});
  });

  it('puts a registered tenant under tenants/<id>/, names the tenant in metadata and in the recovery commands', () => {
    const layout = tenantLayout('contoso.onmicrosoft.com');

    expect(layout).toMatchObject({
      exportPrefix: 'tenants/contoso.onmicrosoft.com/incidents/',
      backfillPrefix: 'tenants/contoso.onmicrosoft.com/backfill/',
      stateBlob: 'tenants/contoso.onmicrosoft.com/state/exporter-state.json',
      backfillJobPrefix: 'tenants/contoso.onmicrosoft.com/state/backfill/',
    });
    expect(tenantMetadata(layout)).toEqual({ tenantid: 'contoso.onmicrosoft.com' });
    expect(layout.recoveryHint).toContain("'defender-export state show --tenant contoso.onmicrosoft.com'");
    expect(layout.recoveryHint).toContain("'defender-export state reset --tenant contoso.onmicrosoft.com --watermark");
  });
});
