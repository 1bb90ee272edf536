// Key Vault role assignments, deployed to the vault's resource group (the vault may be an existing one elsewhere).
// The vault is in RBAC mode: without a data role nobody, not even a subscription owner, can read or set a secret.
param keyVaultName string
param managedIdentityPrincipalId string
@description('Operator who sets and rotates the client secret; empty: no grant (for an existing vault, grant it yourself).')
param operatorPrincipalId string = ''
@allowed(['User', 'Group', 'ServicePrincipal'])
@description('Kind of principal the operator is; stated so that a just-created principal does not fail the assignment.')
param operatorPrincipalType string = 'User'

// Built-in role definition ids (the same in every tenant).
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The app reads the client secret, and only reads.
resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, managedIdentityPrincipalId, keyVaultSecretsUserRoleId)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The operator sets and rotates it (`az keyvault secret set`).
resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(keyVault.id, operatorPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}
