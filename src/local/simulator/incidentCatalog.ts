/** Scenario templates modelled on the documentation samples of the Defender and Graph list-incidents pages. */
export type EntityKind = 'User' | 'Ip' | 'File' | 'Process' | 'MailBox' | 'MailMessage' | 'Url' | 'Registry';

export interface Scenario {
  name: string;
  title: string;
  description: string;
  category: string;
  serviceSource: string;
  detectionSource: string;
  entityKinds: readonly EntityKind[];
  onDevice: boolean;
  mitreTechniques: readonly string[];
  threatFamilyName: string | null;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'Ransomware activity',
    title: 'Ransomware activity',
    description:
      'The user manipulated many files with multiple extensions ending with an uncommon ' +
      'extension. This is an unusual number of file manipulations and is indicative of a ' +
      'potential ransomware attack.',
    category: 'Impact',
    serviceSource: 'MicrosoftCloudAppSecurity',
    detectionSource: 'MCAS',
    entityKinds: ['User', 'Ip'],
    onDevice: false,
    mitreTechniques: ['T1486'],
    threatFamilyName: null,
  },
  {
    name: "'Mimikatz' hacktool was detected on one endpoint",
    title: "'Mimikatz' hacktool was detected",
    description:
      'Readily available tools, such as hacking programs, can be used by unauthorized ' +
      'individuals to spy on users. When used by attackers, these tools are often installed ' +
      'without authorization and used to compromise targeted machines.',
    category: 'Malware',
    serviceSource: 'MicrosoftDefenderATP',
    detectionSource: 'WindowsDefenderAv',
    entityKinds: ['File', 'Process'],
    onDevice: true,
    mitreTechniques: ['T1003.001'],
    threatFamilyName: 'Mimikatz',
  },
  {
    name: 'Email reported by user as malware or phish',
    title: 'Email reported by user as malware or phish',
    description: 'This alert is triggered when any email message is reported as malware or phish by users -V1.0.0.2',
    category: 'InitialAccess',
    serviceSource: 'OfficeATP',
    detectionSource: 'OfficeATP',
    entityKinds: ['MailBox', 'MailMessage', 'Url'],
    onDevice: false,
    mitreTechniques: ['T1566.001'],
    threatFamilyName: null,
  },
  {
    name: 'Multi-stage incident involving Initial access & Command and control on multiple endpoints',
    title: 'Suspicious execution of hidden file',
    description:
      'A hidden file has been launched. This activity could indicate a compromised host. ' +
      'Attackers often hide files associated with malicious tools to evade file system ' +
      'inspection and defenses.',
    category: 'DefenseEvasion',
    serviceSource: 'MicrosoftDefenderATP',
    detectionSource: 'WindowsDefenderAtp',
    entityKinds: ['Process', 'File', 'Registry', 'User'],
    onDevice: true,
    mitreTechniques: ['T1564.001'],
    threatFamilyName: null,
  },
  {
    name: 'Suspicious sign-in activity',
    title: 'Atypical travel',
    description:
      'Sign-in from an atypical location based on the user’s recent sign-ins, followed by access ' +
      'to sensitive resources.',
    category: 'InitialAccess',
    serviceSource: 'AzureAdIdentityProtection',
    detectionSource: 'AzureAdIdentityProtection',
    entityKinds: ['User', 'Ip'],
    onDevice: false,
    mitreTechniques: ['T1078'],
    threatFamilyName: null,
  },
  {
    name: 'Suspicious PowerShell command line',
    title: 'Suspicious PowerShell command line',
    description:
      'A suspicious PowerShell activity was observed on the machine. This behavior may indicate ' +
      'that PowerShell was used during installation, exploration, or in some cases in lateral ' +
      'movement activities.',
    category: 'Execution',
    serviceSource: 'MicrosoftDefenderATP',
    detectionSource: 'WindowsDefenderAtp',
    entityKinds: ['Process', 'File', 'Url', 'User'],
    onDevice: true,
    mitreTechniques: ['T1059.001'],
    threatFamilyName: null,
  },
];

export const ANALYSTS = [
  'secop123@contoso.com',
  'KaiC@contoso.onmicrosoft.com',
  'DavidS@contoso.onmicrosoft.com',
  'Automation',
];
export const USERS = ['testUser1', 'testUser2', 'testUser3', 'testUser4', 'KaiC', 'DavidS', 'AnnaL'];
export const DOMAINS = ['europe.corp.contoso', 'middleeast.corp.contoso', 'corp.contoso'];
export const TAGS = ['Demo', 'Ransomware', 'Phishing', 'VIP', 'Test Machine', 'Pentest'];
export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
export const OS_PLATFORMS = ['Windows10', 'Windows11', 'WindowsServer2016', 'WindowsServer2019'];
export const CLASSIFICATIONS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['TruePositive', ['MultiStagedAttack', 'Malware', 'Phishing', 'CompromisedUser', 'MaliciousUserActivity']],
  ['FalsePositive', ['NotMalicious', 'NotEnoughDataToValidate']],
  ['InformationalExpectedActivity', ['SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedUserActivity']],
];
export const COMMENTS = [
  'Investigating with the endpoint team.',
  'User confirmed the sign-in was not theirs; password reset requested.',
  'Isolated the device pending review.',
  'Closed after review: expected activity from the red team exercise.',
];
