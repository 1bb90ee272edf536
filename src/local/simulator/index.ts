/** The simulated tenant: Entra ID, Key Vault, Defender XDR and Graph security incidents on loopback HTTPS, for tests and `npm start`. */
export {
  SimulatedTenant,
  EXPORTER_SECRET_NAME,
  type SimulatedTenantOptions,
  type TenantHandle,
  type TenantOptions,
} from './simulatedTenant';
export { IncidentStore, type IncidentStoreOptions, type StoredIncident } from './incidentStore';
export {
  FaultInjector,
  type FaultKind,
  type FaultRequest,
  type FaultSpec,
  type IncidentsPageInfo,
} from './faultInjector';
export type {
  IncidentChanges,
  IncidentInit,
  SimAlert,
  SimComment,
  SimDevice,
  SimEntity,
  SimIncident,
} from './incidentModel';
export type { RateLimit } from './rateLimiter';
export type { RecordedRequest, ServerName } from './types';
export { toDefenderIncident } from './defenderShape';
export { toGraphIncident } from './graphShape';
export { formatTicks, parseTimestamp } from './timestamp';
export type { DefenderRetirement } from './defenderServer';
