// Defender incident exporter: one `azd up` provisions everything the timer-triggered function needs.
// Everything authenticates with one user-assigned managed identity; no key, SAS or connection string with a key
// is created or stored. The client secret of the Defender app registration is NOT part of this template: put it in
// the vault with `az keyvault secret set` (see infra/README.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

// ---------------------------------------------------------------------------------------------------------------
// The exporter's settings (src/config/settings.ts)
// ---------------------------------------------------------------------------------------------------------------

@minLength(36)
@maxLength(36)
@description('Application (client) id of the Entra app registration granted Incident.Read.All (DEFENDER_CLIENT_ID).')
param defenderClientId string

@description('Tenant of that app registration, GUID or domain (DEFENDER_TENANT_ID). Empty: the tenant of this subscription.')
param defenderTenantId string = ''

@minLength(1)
@description('Name of the secret in the vault that holds the client secret (DEFENDER_CLIENT_SECRET_NAME).')
param defenderClientSecretName string = 'defender-client-secret'

@minLength(3)
@maxLength(63)
@description('Container for the export blobs and the exporter state (EXPORT_CONTAINER).')
param exportContainerName string = 'defender-incidents'

@minLength(11)
@description('Six-field NCRONTAB schedule of the timer, in UTC (EXPORT_SCHEDULE).')
param exportSchedule string = '0 */5 * * * *'

@minLength(1)
@description('Window of the very first run, in hours (INITIAL_LOOKBACK_HOURS).')
param initialLookbackHours string = '48'

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

@minValue(0)
@description('Move export blobs to the cool tier this many days after they were written; 0 keeps them hot.')
param exportCoolAfterDays int = 0

@minValue(0)
@description('Delete export blobs this many days after they were written; 0 keeps them forever. The state blob is never touched.')
param exportDeleteAfterDays int = 0

@description('Use this existing Key Vault (RBAC mode) instead of creating one. Empty: create a vault.')
param existingKeyVaultName string = ''

@description('Resource group of the existing vault. Empty: the resource group this template creates.')
param existingKeyVaultResourceGroupName string = ''

@description('Object id of the person (or group) who sets the secret and browses the exports: gets Key Vault Secrets Officer on a created vault and Storage Blob Data Reader on the export container. Empty: no grant.')
param operatorPrincipalId string = ''

@description('E-mail address that receives the alerts. Empty: the alert rules and the action group exist but notify no one.')
param alertEmailAddress string = ''

@allowed([1, 2, 3, 4, 5, 6])
@description('Alert when no run of exportIncidents has succeeded for this many hours.')
param noSuccessAlertHours int = 1

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
// Must match the service name in azure.yaml: azd finds the app to deploy to by this tag.
var serviceName = 'exporter'
var functionName = 'exportIncidents'
var functionAppName = '${abbrs.webSitesFunctions}${serviceName}-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var createKeyVault = empty(existingKeyVaultName)
var keyVaultName = createKeyVault ? '${abbrs.keyVaultVaults}${resourceToken}' : existingKeyVaultName
var keyVaultResourceGroupName = createKeyVault || empty(existingKeyVaultResourceGroupName)
  ? rg.name
  : existingKeyVaultResourceGroupName
var keyVaultUri = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/'

// Host storage (Functions runtime: timer lease, deployment package) and export storage (incidents and state) are
// separate accounts so that the export data is reachable only through a role scoped to its container.
var hostStorage = {
  enableBlob: true // timer trigger lease and the Flex Consumption deployment package
  enableQueue: false // only blob triggers and Durable Functions need queues; a timer does not
  enableTable: true // the host's diagnostic events (portal "Diagnose and solve problems")
}

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The one identity the app uses for everything: host storage, export storage, Key Vault, Application Insights.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${serviceName}-${resourceToken}'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

// Local (instrumentation-key) authentication is disabled: telemetry is accepted only with an Entra token of the
// identity, which holds Monitoring Metrics Publisher on this component (app/rbac.bicep).
module applicationInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'applicationInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module hostStorageAccount 'br/public:avm/res/storage/storage-account:0.13.2' = {
  name: 'hostStorage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
          publicAccess: 'None'
        }
      ]
    }
  }
}

// Lifecycle rules apply to incidents/ only: the state blob (state/...) must never be tiered or deleted.
var exportBlobsPrefix = '${exportContainerName}/incidents/'
var coolRule = exportCoolAfterDays > 0
  ? [
      {
        name: 'cool-exported-incidents'
        enabled: true
        type: 'Lifecycle'
        definition: {
          actions: {
            baseBlob: {
              tierToCool: {
                daysAfterModificationGreaterThan: exportCoolAfterDays
              }
            }
          }
          filters: {
            blobTypes: ['blockBlob']
            prefixMatch: [exportBlobsPrefix]
          }
        }
      }
    ]
  : []
var deleteRule = exportDeleteAfterDays > 0
  ? [
      {
        name: 'delete-exported-incidents'
        enabled: true
        type: 'Lifecycle'
        definition: {
          actions: {
            baseBlob: {
              delete: {
                daysAfterModificationGreaterThan: exportDeleteAfterDays
              }
            }
          }
          filters: {
            blobTypes: ['blockBlob', 'appendBlob']
            prefixMatch: [exportBlobsPrefix]
          }
        }
      }
    ]
  : []

module exportStorageAccount 'br/public:avm/res/storage/storage-account:0.13.2' = {
  name: 'exportStorage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}x${resourceToken}'
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: exportContainerName
          publicAccess: 'None'
        }
      ]
    }
    managementPolicyRules: concat(coolRule, deleteRule)
  }
}

// RBAC mode (no access policies), soft delete and purge protection. The secret itself is set by the operator.
module keyVault 'br/public:avm/res/key-vault/vault:0.12.1' = if (createKeyVault) {
  name: 'keyVault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.5.0' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    skuName: 'FC1' // Flex Consumption
    reserved: true // Linux
  }
}

module functionApp './app/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    appServicePlanId: appServicePlan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorageAccount.outputs.name
    deploymentContainerName: deploymentContainerName
    enableHostStorageQueues: hostStorage.enableQueue
    enableHostStorageTables: hostStorage.enableTable
    exportStorageAccountName: exportStorageAccount.outputs.name
    applicationInsightsName: applicationInsights.outputs.name
    defenderTenantId: empty(defenderTenantId) ? tenant().tenantId : defenderTenantId
    defenderClientId: defenderClientId
    keyVaultUri: keyVaultUri
    defenderClientSecretName: defenderClientSecretName
    exportContainerName: exportContainerName
    exportSchedule: exportSchedule
    initialLookbackHours: initialLookbackHours
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    managedIdentityPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    hostStorageAccountName: hostStorageAccount.outputs.name
    enableHostStorageQueues: hostStorage.enableQueue
    enableHostStorageTables: hostStorage.enableTable
    exportStorageAccountName: exportStorageAccount.outputs.name
    exportContainerName: exportContainerName
    applicationInsightsName: applicationInsights.outputs.name
  }
}

// A separate module because an existing vault may live in another resource group.
module keyVaultRbac './app/key-vault-rbac.bicep' = {
  name: 'keyVaultRbac'
  scope: resourceGroup(keyVaultResourceGroupName)
  dependsOn: [
    keyVault
  ]
  params: {
    keyVaultName: keyVaultName
    managedIdentityPrincipalId: identity.outputs.principalId
    operatorPrincipalId: createKeyVault ? operatorPrincipalId : ''
  }
}

module alerts './app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertRuleNamePrefix: '${abbrs.insightsScheduledQueryRules}${serviceName}-${resourceToken}'
    applicationInsightsId: applicationInsights.outputs.resourceId
    functionName: functionName
    alertEmailAddress: alertEmailAddress
    noSuccessAlertHours: noSuccessAlertHours
  }
}

// What a user needs next (azd stores these in .azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_NAME string = functionName
output AZURE_KEY_VAULT_NAME string = keyVaultName
output AZURE_KEY_VAULT_URI string = keyVaultUri
output DEFENDER_CLIENT_SECRET_NAME string = defenderClientSecretName
output AZURE_EXPORT_STORAGE_ACCOUNT_NAME string = exportStorageAccount.outputs.name
output AZURE_EXPORT_CONTAINER_NAME string = exportContainerName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = applicationInsights.outputs.name
