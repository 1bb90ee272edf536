// Role assignments of the function app's identity (and, optionally, of the operator) on storage and monitoring.
// Least privilege: data-plane roles only, each on the narrowest scope that works. Names are deterministic
// (guid of scope, principal and role) so that a redeployment finds the same assignment instead of failing.
// The Key Vault assignments live in key-vault-rbac.bicep because an existing vault may be in another resource group.
param managedIdentityPrincipalId string
@description('Operator (user or group) who browses the exports; empty: no grant.')
param operatorPrincipalId string = ''
@allowed(['User', 'Group', 'ServicePrincipal'])
@description('Kind of principal the operator is; stated so that a just-created principal does not fail the assignment.')
param operatorPrincipalType string = 'User'
param hostStorageAccountName string
param enableHostStorageQueues bool = false
param enableHostStorageTables bool = true
param exportStorageAccountName string
param exportContainerName string
@description('Container of the exporter state (EXPORT_STATE_CONTAINER); the export container unless separateStateContainer.')
param stateContainerName string = exportContainerName
param separateStateContainer bool = false
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var storageBlobDataReaderRoleId = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1' // Storage Blob Data Reader
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource exportStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: exportStorageAccountName
}

resource exportBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: exportStorage
  name: 'default'
}

resource exportContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: exportBlobService
  name: exportContainerName
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: exportBlobService
  name: stateContainerName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Host storage: the Functions host needs Storage Blob Data Owner on its own account (timer lease, deployment
// package, container creation). See "Connecting to host storage with an identity" in the Azure Functions docs.
resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, managedIdentityPrincipalId, storageBlobDataOwnerRoleId)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The runs queue (EXPORT_QUEUE) and its poison queue live in host storage: the timer's output binding sends, the
// exportTenant trigger receives, updates and deletes, and the host moves failed messages to the poison queue.
resource hostQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (enableHostStorageQueues) {
  name: guid(hostStorage.id, managedIdentityPrincipalId, storageQueueDataContributorRoleId)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The host writes its diagnostic events to tables.
resource hostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (enableHostStorageTables) {
  name: guid(hostStorage.id, managedIdentityPrincipalId, storageTableDataContributorRoleId)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Export storage: read and write blobs of the export container only (export blobs and state), nothing else.
resource exportBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(exportContainer.id, managedIdentityPrincipalId, storageBlobDataContributorRoleId)
  scope: exportContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The state, backfill jobs and tenant registry in their own container (EXPORT_STATE_CONTAINER), rewritten on every
// run: the one container that stays writable when the export container is immutable.
resource stateBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (separateStateContainer) {
  name: guid(stateContainer.id, managedIdentityPrincipalId, storageBlobDataContributorRoleId)
  scope: stateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The operator browses the exports in the portal or Storage Explorer (shared keys are off, so this needs a data role).
resource operatorExportBlobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(exportContainer.id, operatorPrincipalId, storageBlobDataReaderRoleId)
  scope: exportContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReaderRoleId)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// ... and reads the state (`defender-export status`, `state show`) where it lives.
resource operatorStateBlobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId) && separateStateContainer) {
  name: guid(stateContainer.id, operatorPrincipalId, storageBlobDataReaderRoleId)
  scope: stateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReaderRoleId)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Application Insights with Entra authentication: the identity may publish telemetry, nothing more.
resource appInsightsMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, managedIdentityPrincipalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}
