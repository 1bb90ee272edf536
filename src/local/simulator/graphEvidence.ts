import type { SimAlert, SimDevice, SimEntity } from './incidentModel';

/** Maps the Defender flat entities and devices of an alert to Graph `evidence` objects (microsoft.graph.security.alertEvidence). */
export function toGraphEvidence(alert: SimAlert): Record<string, unknown>[] {
  const common = {
    createdDateTime: alert.creationTime,
    verdict: 'unknown',
    remediationStatus: 'none',
    remediationStatusDetails: null,
    roles: [],
    detailedRoles: [],
    tags: [],
  };
  const devices = alert.devices.map((device) => ({
    '@odata.type': '#microsoft.graph.security.deviceEvidence',
    ...common,
    ...deviceFields(device),
  }));
  const entities = alert.entities.map((entity) => ({ ...typeAndFields(entity), ...common }));
  return [...devices, ...entities];
}

function deviceFields(device: SimDevice): Record<string, unknown> {
  return {
    firstSeenDateTime: device.firstSeen ?? null,
    mdeDeviceId: device.mdatpDeviceId ?? null,
    azureAdDeviceId: device.aadDeviceId ?? null,
    deviceDnsName: device.deviceDnsName ?? null,
    osPlatform: device.osPlatform ?? null,
    osBuild: device.osBuild ?? null,
    version: device.version ?? null,
    healthStatus: 'active',
    riskScore: typeof device.riskScore === 'string' ? device.riskScore.toLowerCase() : null,
    rbacGroupId: device.rbacGroupId ?? null,
    rbacGroupName: device.rbacGroupName ?? null,
    onboardingStatus: 'onboarded',
    defenderAvStatus: 'unknown',
    ipInterfaces: [],
    loggedOnUsers: [],
  };
}

function fileDetails(entity: SimEntity): Record<string, unknown> {
  return {
    sha1: entity.sha1 ?? null,
    sha256: entity.sha256 ?? null,
    fileName: entity.fileName ?? null,
    filePath: entity.filePath ?? null,
    fileSize: null,
    filePublisher: null,
    signer: null,
    issuer: null,
  };
}

function userAccount(entity: SimEntity): Record<string, unknown> {
  return {
    accountName: entity.accountName ?? null,
    domainName: entity.domainName ?? null,
    userSid: entity.userSid ?? null,
    azureAdUserId: entity.aadUserId ?? null,
    userPrincipalName: entity.userPrincipalName ?? null,
  };
}

function typeAndFields(entity: SimEntity): Record<string, unknown> {
  const type = (name: string): string => `#microsoft.graph.security.${name}`;
  switch (entity.entityType) {
    case 'User':
      return { '@odata.type': type('userEvidence'), userAccount: userAccount(entity) };
    case 'Ip':
      return { '@odata.type': type('ipEvidence'), ipAddress: entity.ipAddress ?? null };
    case 'File':
      return {
        '@odata.type': type('fileEvidence'),
        detectionStatus: 'detected',
        mdeDeviceId: entity.deviceId ?? null,
        fileDetails: fileDetails(entity),
      };
    case 'Process':
      return {
        '@odata.type': type('processEvidence'),
        processId: entity.processId ?? null,
        parentProcessId: entity.parentProcessId ?? null,
        processCommandLine: entity.processCommandLine ?? null,
        processCreationDateTime: entity.processCreationTime ?? null,
        parentProcessCreationDateTime: entity.parentProcessCreationTime ?? null,
        detectionStatus: 'detected',
        mdeDeviceId: entity.deviceId ?? null,
        imageFile: fileDetails(entity),
        parentProcessImageFile: null,
        userAccount: null,
      };
    case 'MailBox':
      return {
        '@odata.type': type('mailboxEvidence'),
        displayName: entity.mailboxDisplayName ?? null,
        primaryAddress: entity.mailboxAddress ?? null,
        userAccount: userAccount(entity),
      };
    case 'MailMessage':
      return {
        '@odata.type': type('analyzedMessageEvidence'),
        senderIp: null,
        recipientEmailAddress: entity.recipient ?? null,
        p1Sender: { emailAddress: entity.sender ?? null },
        subject: entity.subject ?? null,
        deliveryAction: entity.deliveryAction ?? null,
      };
    case 'Url':
      return { '@odata.type': type('urlEvidence'), url: entity.url ?? null };
    case 'Registry':
      return {
        '@odata.type': type('registryValueEvidence'),
        registryHive: entity.registryHive ?? null,
        registryKey: entity.registryKey ?? null,
        registryValueType: entity.registryValueType ?? null,
        registryValue: entity.registryValue ?? null,
      };
    default:
      return { '@odata.type': type('alertEvidence') };
  }
}
