// The exporter's health workbook (Azure Monitor): runs by trigger and outcome, incidents and blobs per run, watermark
// lag, throttling, duration against the budget and the last error of each tenant. Its queries read the one
// `ExportRunSummary {json}` trace line each run writes (src/functions/exportIncidents.ts); the workbook itself is
// workbook.json, which test/infra checks against the fields that line really carries.
param location string
param tags object = {}
param displayName string
@description('Application Insights component the workbook queries (and is listed under).')
param applicationInsightsId string

// Open from the gallery instead of from the component, a workbook runs its queries on its fallback resources.
var content = union(loadJsonContent('workbook.json'), {
  fallbackResourceIds: [
    applicationInsightsId
  ]
})

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; this one is the same on every deployment, so `azd up` updates it in place.
  name: guid(resourceGroup().id, applicationInsightsId, 'defender-export-health')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: string(content)
  }
}

output resourceId string = workbook.id
@description('Opens the workbook in the Azure portal.')
output portalUrl string = '${environment().portal}/#@${tenant().tenantId}/resource${workbook.id}/workbook'
