// The exporter's function app: Flex Consumption, Linux, Node.js 22, deployed from a blob container, running as the
// user-assigned identity. The app settings below are the exporter's settings contract (src/config/settings.ts) plus
// what the Functions host and the Azure SDK read themselves; test/infra checks them against that contract.
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

param defenderTenantId string
param defenderClientId string
param keyVaultUri string
param defenderClientSecretName string
param exportContainerName string
param exportSchedule string
param initialLookbackHours string

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@minValue(40)
@maxValue(1000)
@description('Flex Consumption upper bound; the timer itself runs on one instance at a time.')
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
      ftpsState: 'Disabled'
      // The portal's Test/Run calls POST /admin/functions/exportIncidents from this origin.
      cors: {
        allowedOrigins: [
          'https://portal.azure.com'
        ]
        supportCredentials: false
      }
      appSettings: concat(
        [
          // The exporter's settings contract.
          {
            name: 'DEFENDER_TENANT_ID'
            value: defenderTenantId
          }
          {
            name: 'DEFENDER_CLIENT_ID'
            value: defenderClientId
          }
          {
            name: 'KEY_VAULT_URI'
            value: keyVaultUri
          }
          {
            name: 'DEFENDER_CLIENT_SECRET_NAME'
            value: defenderClientSecretName
          }
          {
            name: 'EXPORT_STORAGE__blobServiceUri'
            value: exportStorage.properties.primaryEndpoints.blob
          }
          {
            name: 'EXPORT_CONTAINER'
            value: exportContainerName
          }
          {
            name: 'EXPORT_SCHEDULE'
            value: exportSchedule
          }
          {
            name: 'INITIAL_LOOKBACK_HOURS'
            value: initialLookbackHours
          }
          // DefaultAzureCredential picks the user-assigned identity by this client id (vault and export storage).
          {
            name: 'AZURE_CLIENT_ID'
            value: identityClientId
          }
          // Host storage, identity-based: no AzureWebJobsStorage connection string.
          {
            name: 'AzureWebJobsStorage__credential'
            value: 'managedidentity'
          }
          {
            name: 'AzureWebJobsStorage__clientId'
            value: identityClientId
          }
          {
            name: 'AzureWebJobsStorage__blobServiceUri'
            value: hostStorage.properties.primaryEndpoints.blob
          }
          // Application Insights with Entra authentication (local authentication is disabled on the component,
          // so the instrumentation key in the connection string alone cannot ingest anything).
          {
            name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
            value: applicationInsights.properties.ConnectionString
          }
          {
            name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
            value: 'ClientId=${identityClientId};Authorization=AAD'
          }
        ],
        enableHostStorageQueues
          ? [
              {
                name: 'AzureWebJobsStorage__queueServiceUri'
                value: hostStorage.properties.primaryEndpoints.queue
              }
            ]
          : [],
        enableHostStorageTables
          ? [
              {
                name: 'AzureWebJobsStorage__tableServiceUri'
                value: hostStorage.properties.primaryEndpoints.table
              }
            ]
          : []
      )
    }
  }
}

output name string = functionApp.outputs.name
