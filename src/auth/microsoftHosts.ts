/**
 * Microsoft's own Entra and Key Vault hosts. Instance discovery and Key Vault's challenge-resource
 * verification stay on for these; they are disabled only for other hosts (the simulated tenant).
 */
const AUTHORITY_HOSTS = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoft.com',
  'login.windows.net',
];
const VAULT_SUFFIXES = [
  '.vault.azure.net',
  '.vault.usgovcloudapi.net',
  '.vault.azure.cn',
  '.managedhsm.azure.net',
  '.managedhsm.usgovcloudapi.net',
];

export function isMicrosoftAuthority(authorityHost: string): boolean {
  return AUTHORITY_HOSTS.includes(new URL(authorityHost).hostname.toLowerCase());
}

export function isMicrosoftVault(vaultUri: string): boolean {
  const host = new URL(vaultUri).hostname.toLowerCase();
  return VAULT_SUFFIXES.some((suffix) => host.endsWith(suffix));
}
