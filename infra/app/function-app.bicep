// The exporter's function app: Flex Consumption, Linux, Node.js 22, deployed from a blob container, running as the
// user-assigned identity. Its app settings are the exporter's settings contract (src/config/settings.ts, passed in as
// exporterSettings) plus what the Functions host and the Azure SDK read themselves; test/infra checks them against
// that contract.
param name string
param location string = resourceGroup().location
param tags object = {}
param appServicePlanId string
param identityId string
param identityClientId string
param hostStorageAccountName string
param deploymentContainerName string
param enableHostStorageQueues bool = false
param enableHostStorageTables bool = true
param exportStorageAccountName string
param applicationInsightsName string

@description('The exporter\'s settings contract (src/config/settings.ts) as NAME: value, built in main.bicep from the azd environment. An empty value is not written: the value already on the app (set in the portal, or none: the exporter\'s default) is kept.')
param exporterSettings object

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@minValue(40)
@maxValue(1000)
@description('Flex Consumption upper bound. The timer runs on one instance at a time; exportTenant scales out on its own (per-function scaling) with the runs queue\'s length, each instance running up to batchSize + newBatchThreshold tenants (host.json).')
param maximumInstanceCount int = 40

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource exportStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: exportStorageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Settings of the contract given in the azd environment; the ones left empty are not written at all.
var givenExporterSettings = toObject(
  filter(items(exporterSettings), setting => !empty(setting.value)),
  setting => setting.key,
  setting => setting.value
)

// Written on every deployment: endpoints of the resources this template creates, and what the Functions host and the
// Azure SDK read themselves.
var appSettings = {
  // The export storage account, reached with the managed identity (part of the settings contract).
  EXPORT_STORAGE__blobServiceUri: exportStorage.properties.primaryEndpoints.blob
  // DefaultAzureCredential picks the user-assigned identity by this client id (vault and export storage).
  AZURE_CLIENT_ID: identityClientId
  // Host storage, identity-based: no AzureWebJobsStorage connection string.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  // Application Insights with Entra authentication (local authentication is disabled on the component,
  // so the instrumentation key in the connection string alone cannot ingest anything).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var hostStorageQueueSettings = enableHostStorageQueues
  ? {
      AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
    }
  : {}

var hostStorageTableSettings = enableHostStorageTables
  ? {
      AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
    }
  : {}

module functionApp 'br/public:avm/res/web/site:0.19.3' = {
  name: '${name}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: tags
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [
        identityId
      ]
    }
    // azd deploys with an Entra token; publishing with a user name and password stays off.
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false // not available on Flex Consumption
      minTlsVersion: '1.2'
      // No ftpsState: Flex Consumption rejects it (Site.SiteConfig.FtpsState is in Microsoft's list of properties
      // not supported on Flex); FTP is off through the 'ftp' basic publishing credentials policy above.
      // The portal's Test/Run calls POST /admin/functions/exportIncidents from this origin.
      cors: {
        allowedOrigins: [
          'https://portal.azure.com'
        ]
        supportCredentials: false
      }
    }
    // App settings go through the site's appsettings config, not siteConfig.appSettings (which replaces the whole
    // collection on every deployment). The module lists the settings already on the app and merges these over them,
    // so a setting added in the portal survives `azd up`; a setting written here always wins over the portal.
    configs: [
      {
        name: 'appsettings'
        retainCurrentAppSettings: true // the module's default, spelled out because it is the point
        properties: union(givenExporterSettings, appSettings, hostStorageQueueSettings, hostStorageTableSettings)
      }
    ]
  }
}

output name string = functionApp.outputs.name
