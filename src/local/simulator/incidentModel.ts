/**
 * The canonical incident the simulator keeps; the Defender and Graph servers render it in their own shapes.
 * Enum values are kept in the Defender API's PascalCase; the Graph shape converts them to camelCase.
 * Entities and devices are kept in the Defender API's flat form (see the list incidents response sample).
 */
export type EntityValue = string | number | null;
export type SimEntity = Readonly<Record<string, EntityValue>>;
export type SimDevice = Readonly<Record<string, EntityValue>>;

export interface SimComment {
  comment: string;
  createdBy: string;
  createdTime: string;
}

export interface SimAlert {
  alertId: string;
  serviceSource: string;
  detectionSource: string;
  creationTime: string;
  lastUpdatedTime: string;
  resolvedTime: string | null;
  firstActivity: string;
  lastActivity: string;
  title: string;
  description: string;
  category: string;
  status: string;
  severity: string;
  investigationId: number | null;
  investigationState: string;
  classification: string | null;
  determination: string | null;
  assignedTo: string | null;
  actorName: string | null;
  threatFamilyName: string | null;
  mitreTechniques: string[];
  devices: SimDevice[];
  entities: SimEntity[];
}

export interface SimIncident {
  id: number;
  name: string;
  description: string;
  /** Verbatim timestamp strings (normally 7 fraction digits; tests may store other formats). */
  createdTime: string;
  lastUpdateTime: string;
  assignedTo: string | null;
  /** Unknown | FalsePositive | TruePositive | InformationalExpectedActivity */
  classification: string;
  /** NotAvailable | Apt | Malware | Phishing | MultiStagedAttack | ... */
  determination: string;
  /** Active | InProgress | Resolved | Redirected */
  status: string;
  /** Informational | Low | Medium | High | UnSpecified */
  severity: string;
  redirectIncidentId: number | null;
  tags: string[];
  systemTags: string[];
  comments: SimComment[];
  alerts: SimAlert[];
  /** Fields the documentation does not show, rendered as-is at the top level of both shapes (see `IncidentStore.setRaw`). */
  extraFields: Record<string, unknown>;
}

/** What `IncidentStore.add` accepts: any field may be given; the rest is generated. */
export type IncidentInit = Partial<SimIncident>;

/** What `IncidentStore.update` accepts; `lastUpdateTime` given here is stored verbatim instead of "now". */
export type IncidentChanges = Partial<Omit<SimIncident, 'id'>>;

/** The Defender entity record layout: every entity carries every key, null when not applicable. */
export const ENTITY_FIELDS = [
  'entityType',
  'sha1',
  'sha256',
  'fileName',
  'filePath',
  'processId',
  'processCommandLine',
  'processCreationTime',
  'parentProcessId',
  'parentProcessCreationTime',
  'ipAddress',
  'url',
  'accountName',
  'domainName',
  'userSid',
  'aadUserId',
  'userPrincipalName',
  'mailboxDisplayName',
  'mailboxAddress',
  'clusterBy',
  'sender',
  'recipient',
  'subject',
  'deliveryAction',
  'securityGroupId',
  'securityGroupName',
  'registryHive',
  'registryKey',
  'registryValueType',
  'registryValue',
  'deviceId',
] as const;
