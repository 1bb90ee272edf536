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

@description('Tenant of that app registration, GUID or domain (DEFENDER_TENANT_ID). Empty: the tenant of this subscription, unless tenantRegistryOnly.')
param defenderTenantId string = ''

@description('A deployment that exports only the tenants of its registry (config/tenants.json; an MSSP\'s): with defenderTenantId empty, DEFENDER_TENANT_ID is not written (the app keeps a value it already has). Until the first \'defender-export tenants add\', every tick then fails with one line saying so.')
param tenantRegistryOnly bool = false

@minLength(1)
@description('Name of the secret in the vault that holds the client secret (DEFENDER_CLIENT_SECRET_NAME).')
param defenderClientSecretName string = 'defender-client-secret'

@minLength(3)
@maxLength(57)
@description('Container for the export blobs, and for the exporter state unless EXPORT_STATE_CONTAINER names another (EXPORT_CONTAINER).')
param exportContainerName string = 'defender-incidents'

@maxLength(63)
@description('Container for the exporter state, backfill jobs and tenant registry, which are rewritten (EXPORT_STATE_CONTAINER). Empty: the export container, as before; but when exportImmutabilityDays > 0, \'<EXPORT_CONTAINER>-state\', because an immutable container refuses rewrites.')
param exportStateContainerName string = ''

@minLength(11)
@description('Six-field NCRONTAB schedule of the timer, in UTC (EXPORT_SCHEDULE).')
param exportSchedule string = '0 */5 * * * *'

@minLength(3)
@maxLength(56)
@description('Storage queue in the host storage account that carries one message per enabled tenant of the tenant registry from the timer to exportTenant (EXPORT_QUEUE). Its poison queue is \'<name>-poison\'. Always written: the function bindings resolve %EXPORT_QUEUE%.')
param exportQueueName string = 'defender-export-runs'

@minLength(1)
@description('Window of the very first run, in hours (INITIAL_LOOKBACK_HOURS).')
param initialLookbackHours string = '48'

// The settings below are written to the app only when given (azd env set NAME value). Left empty, the app keeps the
// value it has (set in the portal, say) or, if none, the exporter's default (src/config/settings.ts).

// Written on every azd up (default auto), so a deployment never stays on the Defender API past its end unnoticed.
@allowed(['auto', 'defender', 'graph'])
@description('Incidents API to read: auto (Defender until it ends, then Microsoft Graph by itself), defender (retiring after 2027-02-01) or graph (INCIDENTS_API).')
param incidentsApi string = 'auto'

@allowed(['', 'public', 'gcc', 'gcchigh', 'dod'])
@description('Microsoft cloud of the Defender tenant (DEFENDER_CLOUD).')
param defenderCloud string = ''

@description('Defender API base URL, e.g. a regional host (DEFENDER_API_URL).')
param defenderApiUrl string = ''

@description('Microsoft Graph base URL, without /v1.0 (GRAPH_API_URL).')
param graphApiUrl string = ''

@description('Entra authority host of the Defender tenant (AZURE_AUTHORITY_HOST).')
param azureAuthorityHost string = ''

@allowed(['', 'true', 'false'])
@description('Graph source: ask for each incident\'s alerts with $expand=alerts (GRAPH_EXPAND_ALERTS).')
param graphExpandAlerts string = ''

@description('From this date (YYYY-MM-DD) runs that still read the Defender API log a warning (DEFENDER_RETIREMENT_WARNING_DATE).')
param defenderRetirementWarningDate string = ''

@description('INCIDENTS_API=auto: from 00:00 UTC on this date (YYYY-MM-DD) runs read Microsoft Graph (DEFENDER_API_END_DATE; exporter default 2027-02-01).')
param defenderApiEndDate string = ''

@allowed(['', 'json', 'ndjson'])
@description('Blob format (EXPORT_FORMAT).')
param exportFormat string = ''

@allowed(['', 'none', 'gzip'])
@description('Blob compression (EXPORT_COMPRESSION).')
param exportCompression string = ''

@allowed(['', 'true', 'false'])
@description('Also set blob index tags; needs blobs/tags/write, which Storage Blob Data Contributor lacks (EXPORT_INDEX_TAGS).')
param exportIndexTags string = ''

@description('A run\'s output is split into parts past this many MB (EXPORT_MAX_BLOB_MB).')
param exportMaxBlobMb string = ''

@description('Time a run may spend before it stops cleanly, in seconds (RUN_BUDGET_SECONDS).')
param runBudgetSeconds string = ''

@description('Pacing of the incidents list call, per minute (API_CALLS_PER_MINUTE).')
param apiCallsPerMinute string = ''

@description('Pacing of the incidents list call, per hour (API_CALLS_PER_HOUR).')
param apiCallsPerHour string = ''

@description('Minutes re-read below the watermark on each run (OVERLAP_MINUTES).')
param overlapMinutes string = ''

@description('defender-export status reports unhealthy after this many minutes without a successful run (STATUS_MAX_AGE_MINUTES).')
param statusMaxAgeMinutes string = ''

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

@minValue(0)
@description('Move export blobs to the cool tier this many days after they were written; 0 keeps them hot.')
param exportCoolAfterDays int = 0

@minValue(0)
@description('Delete export blobs this many days after they were written; 0 keeps them forever. The state blob is never touched. With exportImmutabilityDays, keep this at least as long: a protected version cannot be deleted.')
param exportDeleteAfterDays int = 0

@minValue(0)
@maxValue(146000)
@description('Keep every export blob version immutable (WORM: no overwrite, no delete, not even by an admin) for this many days after it is written; 0 = off. Turns on blob versioning on the export account and moves the state to its own container (exportStateContainerName).')
param exportImmutabilityDays int = 0

@description('Use this existing Key Vault (RBAC mode) instead of creating one. Empty: create a vault.')
param existingKeyVaultName string = ''

@description('Resource group of the existing vault. Empty: the resource group this template creates.')
param existingKeyVaultResourceGroupName string = ''

@description('Object id of the person (or group) who sets the secret and browses the exports: gets Key Vault Secrets Officer on a created vault and Storage Blob Data Reader on the export container. Empty: no grant.')
param operatorPrincipalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
@description('Kind of principal operatorPrincipalId is. Given to the role assignments so that they do not wait for (or fail on) directory replication of a new principal.')
param operatorPrincipalType string = 'User'

@description('E-mail address that receives the alerts. Empty: the alert rules and the action group exist but notify no one.')
param alertEmailAddress string = ''

@allowed([1, 2, 3, 4, 5, 6])
@description('Alert when no run of exportIncidents has succeeded for this many hours.')
param noSuccessAlertHours int = 1

@description('Alerts that name the tenant (tenantId of the ExportRunSummary log line; \'default\' in single-tenant mode): a tenant\'s run failed, a tenant\'s run message went to the poison queue, a tenant has no successful run for noSuccessAlertHours.')
param tenantAlertsEnabled bool = true

@description('Alert on any message put on the poison queue of the runs queue, from the host storage account\'s queue write logs (sent to Log Analytics for this rule). Catches what the tenant alerts cannot see: a message that ended in the poison queue without a run (malformed, or its instance crashed on every attempt).')
param poisonQueueAlertEnabled bool = true

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
// Must match the service name in azure.yaml: azd finds the app to deploy to by this tag.
var serviceName = 'exporter'
var functionName = 'exportIncidents'
// The queue-triggered function that exports one tenant of the registry per message of the runs queue.
var tenantFunctionName = 'exportTenant'
// Functions' naming: the host moves a message here after host.json's maxDequeueCount failed deliveries.
var poisonQueueName = '${exportQueueName}-poison'
var functionAppName = '${abbrs.webSitesFunctions}${serviceName}-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var createKeyVault = empty(existingKeyVaultName)
var keyVaultName = createKeyVault ? '${abbrs.keyVaultVaults}${resourceToken}' : existingKeyVaultName
var keyVaultResourceGroupName = createKeyVault || empty(existingKeyVaultResourceGroupName)
  ? rg.name
  : existingKeyVaultResourceGroupName
var keyVaultUri = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/'
var exportImmutable = exportImmutabilityDays > 0
// An immutable container refuses the rewrites of the state, so immutability implies a separate state container.
var stateContainerName = !empty(exportStateContainerName)
  ? exportStateContainerName
  : (exportImmutable ? '${exportContainerName}-state' : exportContainerName)
var separateStateContainer = stateContainerName != exportContainerName

// Host storage (Functions runtime: timer lease, deployment package) and export storage (incidents and state) are
// separate accounts so that the export data is reachable only through a role scoped to its container.
var hostStorage = {
  enableBlob: true // timer trigger lease and the Flex Consumption deployment package
  enableQueue: true // the runs queue: the timer's fan-out to exportTenant, one message per tenant (EXPORT_QUEUE)
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
    // Created here rather than on first use: the alerts watch the poison queue from the start, and the app's identity
    // needs no right to create queues.
    queueServices: {
      queues: [
        {
          name: exportQueueName
        }
        {
          name: poisonQueueName
        }
      ]
    }
  }
}

// Lifecycle rules apply to incidents/ only: the state blob (state/...) must never be tiered or deleted.
// NOTE: the storage module deploys the management policy only when the rule list is non-empty, so a rule set to 0 days
// is deployed disabled rather than left out: leaving every rule out would leave the last policy in force.
var exportBlobsPrefix = '${exportContainerName}/incidents/'
var coolRule = {
  name: 'cool-exported-incidents'
  enabled: exportCoolAfterDays > 0
  type: 'Lifecycle'
  definition: {
    actions: {
      baseBlob: {
        tierToCool: {
          daysAfterModificationGreaterThan: max(exportCoolAfterDays, 1)
        }
      }
    }
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: [exportBlobsPrefix]
    }
  }
}
var deleteRule = {
  name: 'delete-exported-incidents'
  enabled: exportDeleteAfterDays > 0
  type: 'Lifecycle'
  definition: {
    actions: union(
      {
        baseBlob: {
          delete: {
            daysAfterModificationGreaterThan: max(exportDeleteAfterDays, 1)
          }
        }
      },
      // With versioning on, deleting the base blob only turns it into a previous version: delete those too.
      exportImmutable
        ? {
            version: {
              delete: {
                daysAfterCreationGreaterThan: max(exportDeleteAfterDays, 1)
              }
            }
          }
        : {}
    )
    filters: {
      blobTypes: ['blockBlob', 'appendBlob']
      prefixMatch: [exportBlobsPrefix]
    }
  }
}
// With versioning on (immutability), every state write leaves a previous version behind. Previous versions of the
// state container's blobs go after a week; the current state is never touched (no baseBlob action).
var stateVersionsRule = {
  name: 'delete-previous-state-versions'
  enabled: exportImmutable && separateStateContainer
  type: 'Lifecycle'
  definition: {
    actions: {
      version: {
        delete: {
          daysAfterCreationGreaterThan: 7
        }
      }
    }
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: ['${stateContainerName}/']
    }
  }
}

// Immutable exports (opt in): version-level immutability on the export container, whose default time-based retention
// policy every new blob version inherits. Needs blob versioning on the account. The app never needs to overwrite or
// delete an export (it writes each blob once, with If-None-Match: *).
var exportContainer = {
  name: exportContainerName
  publicAccess: 'None'
  immutableStorageWithVersioningEnabled: exportImmutable
  immutabilityPolicyProperties: exportImmutable
    ? {
        immutabilityPeriodSinceCreationInDays: exportImmutabilityDays
        allowProtectedAppendWrites: false
      }
    : {}
}
var stateContainer = {
  name: stateContainerName
  publicAccess: 'None'
}

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
      isVersioningEnabled: exportImmutable
      containers: separateStateContainer ? [exportContainer, stateContainer] : [exportContainer]
    }
    managementPolicyRules: [coolRule, deleteRule, stateVersionsRule]
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

// The exporter's settings contract (src/config/settings.ts), each from the azd variable of the same name
// (main.parameters.json). test/infra fails when a setting of the contract is missing here.
var exporterSettings = {
  // Empty (not written) for a registry-only deployment: the tenants of config/tenants.json are exported instead.
  DEFENDER_TENANT_ID: !empty(defenderTenantId) ? defenderTenantId : (tenantRegistryOnly ? '' : tenant().tenantId)
  DEFENDER_CLIENT_ID: defenderClientId
  KEY_VAULT_URI: keyVaultUri
  DEFENDER_CLIENT_SECRET_NAME: defenderClientSecretName
  INCIDENTS_API: incidentsApi
  DEFENDER_CLOUD: defenderCloud
  DEFENDER_API_URL: defenderApiUrl
  GRAPH_API_URL: graphApiUrl
  AZURE_AUTHORITY_HOST: azureAuthorityHost
  GRAPH_EXPAND_ALERTS: graphExpandAlerts
  DEFENDER_RETIREMENT_WARNING_DATE: defenderRetirementWarningDate
  DEFENDER_API_END_DATE: defenderApiEndDate
  EXPORT_CONTAINER: exportContainerName
  // Empty (not written) unless the state has its own container: the app then keeps the export container.
  EXPORT_STATE_CONTAINER: separateStateContainer ? stateContainerName : ''
  EXPORT_SCHEDULE: exportSchedule
  EXPORT_QUEUE: exportQueueName
  INITIAL_LOOKBACK_HOURS: initialLookbackHours
  EXPORT_FORMAT: exportFormat
  EXPORT_COMPRESSION: exportCompression
  EXPORT_INDEX_TAGS: exportIndexTags
  EXPORT_MAX_BLOB_MB: exportMaxBlobMb
  RUN_BUDGET_SECONDS: runBudgetSeconds
  API_CALLS_PER_MINUTE: apiCallsPerMinute
  API_CALLS_PER_HOUR: apiCallsPerHour
  OVERLAP_MINUTES: overlapMinutes
  STATUS_MAX_AGE_MINUTES: statusMaxAgeMinutes
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    managedIdentityPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
    hostStorageAccountName: hostStorageAccount.outputs.name
    enableHostStorageQueues: hostStorage.enableQueue
    enableHostStorageTables: hostStorage.enableTable
    exportStorageAccountName: exportStorageAccount.outputs.name
    exportContainerName: exportContainerName
    stateContainerName: stateContainerName
    separateStateContainer: separateStateContainer
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
    operatorPrincipalType: operatorPrincipalType
  }
}

module healthWorkbook './app/workbook.bicep' = {
  name: 'healthWorkbook'
  scope: rg
  params: {
    location: location
    tags: tags
    displayName: 'Defender export health (${environmentName})'
    applicationInsightsId: applicationInsights.outputs.resourceId
  }
}

module functionApp './app/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  // The app is created after its roles are granted: Flex Consumption reads the deployment package with the identity's
  // Storage Blob Data Owner role on host storage, and `azd up` deploys right after provisioning. Created before, the
  // first deployment could race the role assignment (a 403 on the package container). Role assignments can still take
  // a few minutes to propagate: if the very first `azd deploy` fails with 403, run it again.
  dependsOn: [
    rbac
    keyVaultRbac
  ]
  params: {
    name: functionAppName
    location: location
    // The health workbook is tagged on the app so that it can be found from the app in the portal.
    tags: union(tags, { 'azd-service-name': serviceName, 'health-workbook': healthWorkbook.outputs.resourceId })
    appServicePlanId: appServicePlan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorageAccount.outputs.name
    deploymentContainerName: deploymentContainerName
    enableHostStorageQueues: hostStorage.enableQueue
    enableHostStorageTables: hostStorage.enableTable
    exportStorageAccountName: exportStorageAccount.outputs.name
    applicationInsightsName: applicationInsights.outputs.name
    exporterSettings: exporterSettings
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
    logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId
    functionName: functionName
    tenantFunctionName: tenantFunctionName
    alertEmailAddress: alertEmailAddress
    noSuccessAlertHours: noSuccessAlertHours
    tenantAlertsEnabled: tenantAlertsEnabled
    poisonQueueAlertEnabled: poisonQueueAlertEnabled
    hostStorageAccountName: hostStorageAccount.outputs.name
    poisonQueueName: poisonQueueName
  }
}

// What a user needs next (azd stores these in .azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_NAME string = functionName
output AZURE_EXPORT_QUEUE_NAME string = exportQueueName
output AZURE_KEY_VAULT_NAME string = keyVaultName
output AZURE_KEY_VAULT_URI string = keyVaultUri
output DEFENDER_CLIENT_SECRET_NAME string = defenderClientSecretName
output AZURE_EXPORT_STORAGE_ACCOUNT_NAME string = exportStorageAccount.outputs.name
output AZURE_EXPORT_CONTAINER_NAME string = exportContainerName
output AZURE_EXPORT_STATE_CONTAINER_NAME string = stateContainerName
output AZURE_HEALTH_WORKBOOK_URL string = healthWorkbook.outputs.portalUrl
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = applicationInsights.outputs.name
