/**
 * Defender enum values (PascalCase) to their Microsoft Graph security counterparts (camelCase),
 * with the renames the Graph resource documentation lists.
 */
const RENAMES: Readonly<Record<string, string>> = {
  UnSpecified: 'unknown',
  NotAvailable: 'unknown',
  CompromisedUser: 'compromisedAccount',
  ConfirmedUserActivity: 'confirmedActivity',
  MicrosoftDefenderATP: 'microsoftDefenderForEndpoint',
  MicrosoftCloudAppSecurity: 'microsoftDefenderForCloudApps',
  OfficeATP: 'microsoftDefenderForOffice365',
  WindowsDefenderAv: 'antivirus',
  WindowsDefenderAtp: 'microsoftDefenderForEndpoint',
  MCAS: 'microsoftDefenderForCloudApps',
};

export function toGraphEnum(value: string | null): string {
  if (value === null) return 'unknown';
  return RENAMES[value] ?? value.charAt(0).toLowerCase() + value.slice(1);
}
