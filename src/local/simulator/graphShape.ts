import { toGraphEnum } from './graphEnums';
import { toGraphEvidence } from './graphEvidence';
import type { SimAlert, SimIncident } from './incidentModel';

/** Renders an incident as Microsoft Graph `GET /security/incidents` returns it; `alerts` only with `$expand=alerts`. */
export function toGraphIncident(
  incident: SimIncident,
  tenantId: string,
  expandAlerts: boolean,
): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.security.incident',
    id: String(incident.id),
    tenantId,
    status: toGraphEnum(incident.status),
    incidentWebUrl: `https://security.microsoft.com/incidents/${incident.id}?tid=${tenantId}`,
    redirectIncidentId: incident.redirectIncidentId === null ? null : String(incident.redirectIncidentId),
    displayName: incident.name,
    createdDateTime: incident.createdTime,
    lastUpdateDateTime: incident.lastUpdateTime,
    assignedTo: incident.assignedTo,
    classification: toGraphEnum(incident.classification),
    determination: toGraphEnum(incident.determination),
    severity: toGraphEnum(incident.severity),
    customTags: incident.tags,
    systemTags: incident.systemTags,
    description: incident.description,
    resolvingComment: null,
    summary: null,
    comments: incident.comments.map((comment) => ({
      comment: comment.comment,
      createdByDisplayName: comment.createdBy,
      createdDateTime: comment.createdTime,
    })),
    ...(expandAlerts ? { alerts: incident.alerts.map((alert) => toGraphAlert(alert, incident, tenantId)) } : {}),
    ...incident.extraFields,
  };
}

function toGraphAlert(alert: SimAlert, incident: SimIncident, tenantId: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id: alert.alertId,
    providerAlertId: alert.alertId,
    incidentId: String(incident.id),
    status: toGraphEnum(alert.status),
    severity: toGraphEnum(alert.severity),
    classification: toGraphEnum(alert.classification),
    determination: toGraphEnum(alert.determination),
    serviceSource: toGraphEnum(alert.serviceSource),
    detectionSource: toGraphEnum(alert.detectionSource),
    tenantId,
    title: alert.title,
    description: alert.description,
    category: alert.category,
    assignedTo: alert.assignedTo,
    alertWebUrl: `https://security.microsoft.com/alerts/${alert.alertId}?tid=${tenantId}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${incident.id}?tid=${tenantId}`,
    actorDisplayName: alert.actorName,
    threatDisplayName: null,
    threatFamilyName: alert.threatFamilyName,
    mitreTechniques: alert.mitreTechniques,
    createdDateTime: alert.creationTime,
    lastUpdateDateTime: alert.lastUpdatedTime,
    resolvedDateTime: alert.resolvedTime,
    firstActivityDateTime: alert.firstActivity,
    lastActivityDateTime: alert.lastActivity,
    comments: [],
    evidence: toGraphEvidence(alert),
  };
}
