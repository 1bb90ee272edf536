import { formatTenantStatuses, type TenantStatus } from '../../src/cli/tenantStatus';
import { formatStatus } from '../../src/cli/commands/status';
import { assessStatus } from '../../src/cli/statusReport';
import type { Timestamp } from '../../src/common/timestamp';
import type { ExportState, GraphReadiness } from '../../src/export/exportState';

describe('the status report', () => {
  const base: ExportState = {
    schemaVersion: 1,
    watermark: '2026-11-27T07:59:41.2630000Z' as Timestamp,
    exported: {},
    source: 'defender',
    updatedAt: '2026-11-27T08:00:04.000Z',
    lastSuccess: { runId: 'r1', at: '2026-11-27T08:00:04.000Z', trigger: 'timer', incidents: 3, blobs: [] },
  };
  const now = new Date('2026-11-27T08:10:00.000Z');

  it('shows a resumable pull kept in the state as in progress, without judging it', () => {
    // The state's `pass` field: a pull that continues across invocations.
    const withPass = {
      ...base,
      pass: {
        from: '2026-11-01T00:00:00.0000000Z' as Timestamp,
        newest: '2026-11-27T08:05:00.0000000Z' as Timestamp,
        cursor: '2026-11-20T12:00:00.0000000Z' as Timestamp,
        skip: 3,
        startedAt: '2026-11-27T08:06:00.000Z',
      },
    };

    const report = assessStatus(withPass, now, 60);

    expect(report.healthy).toBe(true);
    expect(report.inProgress).toEqual(withPass.pass);
    expect(formatStatus(report)).toContain(
      'in progress:   pulling from 2026-11-01T00:00:00.0000000Z, started ' +
        '2026-11-27T08:06:00.000Z, newest so far 2026-11-27T08:05:00.0000000Z, next page at ' +
        '2026-11-20T12:00:00.0000000Z (skip 3)',
    );
  });

  it('leaves the in-progress line out when no pull is in progress', () => {
    const report = assessStatus(base, now, 60);

    expect(report.inProgress).toBeUndefined();
    expect(formatStatus(report).some((line) => line.startsWith('in progress'))).toBe(false);
  });

  it('counts the last success as in time at exactly the max age', () => {
    expect(assessStatus(base, new Date('2026-11-27T09:00:04.000Z'), 60).healthy).toBe(true);
    expect(assessStatus(base, new Date('2026-11-27T09:00:04.001Z'), 60).healthy).toBe(false);
  });

  it('reports both problems when the last run failed and the last success is too old', () => {
    const failing: ExportState = {
      ...base,
      lastError: {
        runId: 'r2',
        at: '2026-11-27T09:30:00.000Z',
        trigger: 'timer',
        code: 'AuthError',
        message: 'invalid client secret',
      },
    };

    const report = assessStatus(failing, new Date('2026-11-27T09:31:00.000Z'), 60);

    expect(report.problems).toEqual([
      'the last run failed at 2026-11-27T09:30:00.000Z (AuthError): invalid client secret',
      'no run succeeded within the last 60 minutes (last success 2026-11-27T08:00:04.000Z).',
    ]);
  });
});

describe("Graph's readiness per tenant", () => {
  it('lists the registered tenants whose Graph is not ready, with the exact code, under the table', () => {
    const now = new Date('2026-11-27T08:10:00.000Z');
    const stateWith = (graphReadiness: GraphReadiness): ExportState => ({
      schemaVersion: 1,
      watermark: '2026-11-27T08:00:00.0000000Z' as Timestamp,
      exported: {},
      source: 'defender',
      updatedAt: '2026-11-27T08:00:00.000Z',
      lastSuccess: { runId: 'r', at: '2026-11-27T08:00:00.000Z', trigger: 'timer' },
      graphReadiness,
    });
    const tenant = (tenantId: string, graphReadiness: GraphReadiness): TenantStatus => ({
      tenant: { tenantId, enabled: true },
      report: assessStatus(stateWith(graphReadiness), now, 60),
      unreadable: undefined,
      runningNow: false,
      healthy: true,
    });

    const lines = formatTenantStatuses(
      [
        tenant('contoso.onmicrosoft.com', { checkedAt: '2026-11-27T07:00:00.000Z', ready: true }),
        tenant('fabrikam.onmicrosoft.com', { checkedAt: '2026-11-27T07:00:00.000Z', ready: false, code: 'Forbidden' }),
      ],
      60,
    );

    expect(lines[0]).toBe('status: healthy (2 tenants; max age 60 min)');
    const notReady = lines.slice(
      lines.indexOf('Microsoft Graph not ready (INCIDENTS_API=auto moves there when the Defender API ends):') + 1,
    );
    expect(notReady).toEqual([
      expect.stringMatching(
        /^ {2}- fabrikam\.onmicrosoft\.com: Graph not ready — grant SecurityIncident\.Read\.All \(application\) with admin consent \(Graph error Forbidden\)/,
      ),
    ]);
  });
});
