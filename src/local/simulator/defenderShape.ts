import type { SimAlert, SimIncident } from './incidentModel';

/** Renders an incident as the Defender XDR list incidents API returns it (field order as in the documentation sample). */
export function toDefenderIncident(incident: SimIncident, tenantId: string): Record<string, unknown> {
  return {
    incidentId: incident.id,
    incidentUri: `https://security.microsoft.com/incidents/${incident.id}?tid=${tenantId}`,
    redirectIncidentId: incident.redirectIncidentId,
    incidentName: incident.name,
    createdTime: incident.createdTime,
    lastUpdateTime: incident.lastUpdateTime,
    assignedTo: incident.assignedTo,
    classification: incident.classification,
    determination: incident.determination,
    status: incident.status,
    severity: incident.severity,
    tags: incident.tags,
    comments: incident.comments,
    alerts: incident.alerts.map((alert) => toDefenderAlert(alert, incident.id)),
    ...incident.extraFields,
  };
}

function toDefenderAlert(alert: SimAlert, incidentId: number): Record<string, unknown> {
  return {
    alertId: alert.alertId,
    incidentId,
    serviceSource: alert.serviceSource,
    creationTime: alert.creationTime,
    lastUpdatedTime: alert.lastUpdatedTime,
    resolvedTime: alert.resolvedTime,
    firstActivity: alert.firstActivity,
    lastActivity: alert.lastActivity,
    title: alert.title,
    description: alert.description,
    category: alert.category,
    status: alert.status,
    severity: alert.severity,
    investigationId: alert.investigationId,
    investigationState: alert.investigationState,
    classification: alert.classification,
    determination: alert.determination,
    detectionSource: alert.detectionSource,
    assignedTo: alert.assignedTo,
    actorName: alert.actorName,
    threatFamilyName: alert.threatFamilyName,
    mitreTechniques: alert.mitreTechniques,
    devices: alert.devices,
    entities: alert.entities,
  };
}
