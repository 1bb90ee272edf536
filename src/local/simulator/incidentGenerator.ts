import {
  ANALYSTS,
  CLASSIFICATIONS,
  COMMENTS,
  DOMAINS,
  OS_PLATFORMS,
  SCENARIOS,
  SEVERITIES,
  TAGS,
  USERS,
  type EntityKind,
} from './incidentCatalog';
import {
  ENTITY_FIELDS,
  type EntityValue,
  type SimAlert,
  type SimDevice,
  type SimEntity,
  type SimIncident,
} from './incidentModel';
import type { Prng } from './prng';
import { formatTicks, TICKS_PER_MS } from './timestamp';

export interface GenerateOptions {
  id: number;
  createdTicks: bigint;
  lastUpdateTicks: bigint;
  /** Realistic size (about 5-50 KB in the Defender shape); small (one alert, one or two entities) otherwise. */
  realistic: boolean;
}

const MINUTE_TICKS = 60_000n * TICKS_PER_MS;

/** Generates an incident shaped like the documentation samples, deterministic for a given PRNG state. */
export function generateIncident(rng: Prng, options: GenerateOptions): SimIncident {
  const scenario = rng.pick(SCENARIOS);
  const alertCount = options.realistic ? rng.int(1, 6) : 1;
  const alerts = Array.from({ length: alertCount }, (_, index) =>
    generateAlert(rng, options, index === 0 ? scenario : rng.pick(SCENARIOS)),
  );
  const resolved = rng.chance(0.3);
  const [classification, determinations] = resolved ? rng.pick(CLASSIFICATIONS) : ['Unknown', ['NotAvailable']];
  const commentCount = options.realistic ? rng.int(0, 4) : rng.int(0, 1);
  return {
    id: options.id,
    name: scenario.name,
    description: scenario.description,
    createdTime: formatTicks(options.createdTicks),
    lastUpdateTime: formatTicks(options.lastUpdateTicks),
    assignedTo: rng.chance(0.5) ? rng.pick(ANALYSTS) : null,
    classification,
    determination: rng.pick(determinations),
    status: resolved ? 'Resolved' : rng.pick(['Active', 'Active', 'InProgress']),
    severity: rng.pick(SEVERITIES),
    redirectIncidentId: null,
    tags: rng.chance(0.4) ? [rng.pick(TAGS)] : [],
    systemTags: rng.chance(0.1) ? ['Defender Experts'] : [],
    comments: Array.from({ length: commentCount }, () => ({
      comment: rng.pick(COMMENTS),
      createdBy: rng.pick(ANALYSTS),
      createdTime: formatTicks(between(rng, options.createdTicks, options.lastUpdateTicks)),
    })),
    alerts,
    extraFields: {},
  };
}

function between(rng: Prng, low: bigint, high: bigint): bigint {
  if (high <= low) return low;
  return low + BigInt(Math.floor(rng.next() * Number(high - low)));
}

function generateAlert(rng: Prng, options: GenerateOptions, scenario: (typeof SCENARIOS)[number]): SimAlert {
  const devices = scenario.onDevice
    ? Array.from({ length: options.realistic ? rng.int(1, 3) : 1 }, () => generateDevice(rng))
    : [];
  const entityCount = options.realistic ? rng.int(2, 9) : rng.int(1, 2);
  const entities = Array.from({ length: entityCount }, (_, index) =>
    generateEntity(
      rng,
      scenario.entityKinds[index % scenario.entityKinds.length] ?? 'User',
      devices[0]?.mdatpDeviceId ?? null,
      options.createdTicks,
    ),
  );
  const firstActivity = options.createdTicks - BigInt(rng.int(1, 120)) * MINUTE_TICKS;
  const isDefender = scenario.serviceSource === 'MicrosoftDefenderATP';
  return {
    alertId: isDefender
      ? `da${rng.int(100000000, 999999999)}${rng.int(100000000, 999999999)}_${rng.int(-999999999, 999999999)}`
      : `${rng.hex(10)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
    serviceSource: scenario.serviceSource,
    detectionSource: scenario.detectionSource,
    creationTime: formatTicks(options.createdTicks),
    lastUpdatedTime: formatTicks(options.lastUpdateTicks),
    resolvedTime: null,
    firstActivity: formatTicks(firstActivity),
    lastActivity: formatTicks(between(rng, firstActivity, options.createdTicks)),
    title: scenario.title,
    description: options.realistic ? `${scenario.description}\n\n${scenario.description}` : scenario.description,
    category: scenario.category,
    status: rng.pick(['New', 'InProgress']),
    severity: rng.pick(SEVERITIES),
    investigationId: isDefender && rng.chance(0.5) ? rng.int(1000, 99999) : null,
    investigationState: isDefender
      ? rng.pick(['Running', 'Benign', 'PendingApproval', 'UnsupportedOs'])
      : 'UnsupportedAlertType',
    classification: null,
    determination: null,
    assignedTo: rng.chance(0.3) ? 'Automation' : null,
    actorName: null,
    threatFamilyName: scenario.threatFamilyName,
    mitreTechniques: [...scenario.mitreTechniques],
    devices,
    entities,
  };
}

function generateDevice(rng: Prng): SimDevice & { mdatpDeviceId: string } {
  return {
    mdatpDeviceId: rng.hex(40),
    aadDeviceId: rng.chance(0.5) ? rng.guid() : null,
    deviceDnsName: `${rng.pick(USERS).toLowerCase()}-pc${rng.int(1, 99)}.${rng.pick(DOMAINS)}.com`,
    osPlatform: rng.pick(OS_PLATFORMS),
    version: rng.pick(['1607', '1809', '21H2', '22H2']),
    osProcessor: 'x64',
    osBuild: rng.int(14393, 22631),
    healthStatus: 'Active',
    riskScore: rng.pick(['Low', 'Medium', 'High']),
    rbacGroupName: rng.pick(['WDATP-Ring0', 'UnassignedGroup']),
    rbacGroupId: rng.int(1, 80),
    firstSeen: '2020-02-06T14:16:01.9330135Z',
  };
}

function generateEntity(rng: Prng, kind: EntityKind, deviceId: string | null, createdTicks: bigint): SimEntity {
  const entity: Record<string, EntityValue> = Object.fromEntries(ENTITY_FIELDS.map((field) => [field, null]));
  const user = rng.pick(USERS);
  const domain = rng.pick(DOMAINS);
  entity.entityType = kind;
  switch (kind) {
    case 'User':
      Object.assign(entity, {
        accountName: user,
        domainName: domain,
        userSid: `S-1-5-21-${rng.int(1e9, 2e9)}-${rng.int(1e8, 9e8)}-${rng.int(1e9, 2e9)}-${rng.int(1000, 9999999)}`,
        aadUserId: rng.guid(),
        userPrincipalName: `${user}@contoso.com`,
      });
      break;
    case 'Ip':
      entity.ipAddress = `${rng.int(11, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
      break;
    case 'File':
      Object.assign(entity, {
        sha1: rng.hex(40),
        sha256: rng.hex(64),
        fileName: rng.pick(['mimikatz.exe', 'Detector.UnitTests.dll', 'invoice.docm', 'MsSense.exe']),
        filePath: 'C:\\Users\\Public\\Downloads',
        deviceId,
      });
      break;
    case 'Process':
      Object.assign(entity, {
        sha1: rng.hex(40),
        fileName: 'powershell.exe',
        filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
        processId: rng.int(100, 30000),
        processCommandLine: 'powershell.exe -nop -w hidden -enc SQBFAFgA',
        processCreationTime: formatTicks(createdTicks),
        parentProcessId: rng.int(100, 30000),
        parentProcessCreationTime: formatTicks(createdTicks),
        deviceId,
      });
      break;
    case 'MailBox':
      Object.assign(entity, {
        userPrincipalName: `${user}@contoso.com`,
        mailboxDisplayName: user,
        mailboxAddress: `${user}@contoso.com`,
      });
      break;
    case 'MailMessage':
      Object.assign(entity, {
        userPrincipalName: `${user}@contoso.com`,
        sender: 'user.abc@mail.contoso.co.in',
        recipient: `${user}@contoso.com`,
        subject: '[EXTERNAL] Attention',
        deliveryAction: 'Delivered',
      });
      break;
    case 'Url':
      entity.url = `https://${rng.hex(8)}.example.net/login`;
      break;
    case 'Registry':
      Object.assign(entity, {
        registryHive: 'HKEY_LOCAL_MACHINE',
        registryKey: 'SYSTEM\\CONTROLSET001\\CONTROL\\WMI\\AUTOLOGGER\\SENSEAUDITLOGGER',
        registryValueType: 'String',
        registryValue: rng.hex(16),
        deviceId,
      });
      break;
  }
  return entity;
}
