// Log alerts to one action group. Always: a run of the exporter failed, and no run has succeeded for a while (the
// exporter is stuck, stopped or throttled), both from the functions' invocations (Application Insights `requests`).
// On by default (tenantAlertsEnabled): the same two per tenant, and a tenant's run message going to the poison queue,
// each naming the tenant, from the `ExportRunSummary` trace line; and (poisonQueueAlertEnabled) any message landing in
// the runs queue's poison queue, from the host storage account's queue logs.
param location string
param tags object = {}
param actionGroupName string
param alertRuleNamePrefix string
param applicationInsightsId string
@description('Log Analytics workspace that receives the host storage queue logs (poison-queue alert).')
param logAnalyticsWorkspaceId string
@description('The timer function: exports the one tenant itself, or, with a tenant registry, queues one run per tenant.')
param functionName string
@description('The queue-triggered function that exports one tenant of the registry per message.')
param tenantFunctionName string
@description('Recipient of the alerts; empty: the rules fire in the portal but notify no one.')
param alertEmailAddress string = ''
@allowed([1, 2, 3, 4, 5, 6])
param noSuccessAlertHours int = 1
@description('Per-tenant alerts, with the tenant as a dimension (tenantId of the ExportRunSummary line).')
param tenantAlertsEnabled bool = true
@description('Alert on a message put on the poison queue; sends the host storage queue write logs to Log Analytics.')
param poisonQueueAlertEnabled bool = true
param hostStorageAccountName string
param poisonQueueName string

// The deliveries of a run message before the host moves it to the poison queue: the app's own host.json, so the alert
// and the host cannot disagree.
var maxDequeueCount = loadJsonContent('../../host.json').extensions.queues.maxDequeueCount

// The run summaries, one trace line `ExportRunSummary {json}` per run (src/functions/exportIncidents.ts); the same
// reading as the health workbook (workbook.json). A line without tenantId is the single-tenant exporter's ("default").
var summaries = 'traces | where message startswith "ExportRunSummary " | extend s = parse_json(substring(message, 17)) | extend tenantId = iff(isempty(tostring(s.tenantId)), "default", tostring(s.tenantId))'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'defexport'
    enabled: true
    emailReceivers: empty(alertEmailAddress)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmailAddress
            useCommonAlertSchema: true
          }
        ]
  }
}

resource failedRunAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${alertRuleNamePrefix}-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${functionName} or ${tenantFunctionName} failed'
    description: 'A run of ${functionName} (or of ${tenantFunctionName} for one tenant of the registry) failed. The watermark did not move; the next run retries. See the exception in Application Insights; the tenant alerts name the tenant.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name in ("${functionName}", "${tenantFunctionName}") and success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource noSuccessAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${alertRuleNamePrefix}-no-success'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${functionName} has not succeeded for ${noSuccessAlertHours} h'
    description: 'No run of ${functionName} or ${tenantFunctionName} succeeded in the last ${noSuccessAlertHours} hour(s): incidents are not being exported. With a tenant registry the timer only queues the runs: the per-tenant rule says which tenant is not exported.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT${noSuccessAlertHours}H'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name in ("${functionName}", "${tenantFunctionName}") and success == true'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// A run of one tenant failed. The alert names the tenant (and the error code) through its dimensions, one alert per
// tenant, so one failing tenant does not hide another. Reads the failure summary line ("outcome": "failed").
resource tenantFailedRunAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = if (tenantAlertsEnabled) {
  name: '${alertRuleNamePrefix}-tenant-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${functionName} failed for a tenant'
    description: 'A run of ${functionName} failed for the tenant in the tenantId dimension; the code dimension is the error code. That tenant\'s watermark did not move; the next run retries.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: '${summaries} | where tostring(s.outcome) == "failed" | extend code = tostring(s.code) | project timestamp, tenantId, code'
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'tenantId'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'code'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// A tenant seen in the last day has had no successful run for noSuccessAlertHours. A tenant silent for more than a
// day drops out of this rule; the all-tenants rule above still fires when nothing succeeds at all.
resource tenantNoSuccessAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = if (tenantAlertsEnabled) {
  name: '${alertRuleNamePrefix}-tenant-no-success'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${functionName} has not succeeded for a tenant for ${noSuccessAlertHours} h'
    description: 'No run of ${functionName} succeeded for the tenant in the tenantId dimension in the last ${noSuccessAlertHours} hour(s): its incidents are not being exported.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'P1D'
    criteria: {
      allOf: [
        {
          query: '${summaries} | summarize lastSuccess = maxif(timestamp, tostring(s.outcome) != "failed") by tenantId | where isnull(lastSuccess) or lastSuccess < ago(${noSuccessAlertHours}h)'
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'tenantId'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// A tenant's run message failed on its last delivery (attempt = host.json's maxDequeueCount): the host moves it to the
// poison queue and no retry follows until the next tick queues a new message. Names the tenant and the error code.
resource tenantPoisonedAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = if (tenantAlertsEnabled) {
  name: '${alertRuleNamePrefix}-tenant-poisoned'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'A tenant\'s run went to ${poisonQueueName}'
    description: 'The run of the tenant in the tenantId dimension failed on all ${maxDequeueCount} deliveries of its message, which is now in ${poisonQueueName}; the code dimension is the error code. Other tenants are not affected. Fix the cause (consent, secret, permission); the next tick queues the tenant again.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: '${summaries} | where tostring(s.outcome) == "failed" and toint(s.attempt) >= ${maxDequeueCount} | extend code = tostring(s.code) | project timestamp, tenantId, code'
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'tenantId'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'code'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Poison queue: Azure Monitor has no per-queue metric, so the queue service's write logs go to Log Analytics and the
// alert counts Put Message calls on the poison queue (the Functions host moves a message there after its last retry).
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource hostQueueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: hostStorage
  name: 'default'
}

resource hostQueueWriteLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (poisonQueueAlertEnabled) {
  name: 'queue-writes-to-log-analytics'
  scope: hostQueueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
    ]
  }
}

resource poisonQueueAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = if (poisonQueueAlertEnabled) {
  name: '${alertRuleNamePrefix}-poison-queue'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [
    hostQueueWriteLogs
  ]
  properties: {
    displayName: 'A message landed in ${poisonQueueName}'
    description: 'A message was put on the poison queue ${poisonQueueName} of ${hostStorageAccountName}: a queued tenant run failed on every delivery and will not be retried (the next tick queues the tenant again). The message names the tenant ({"tenantId": ...}); the tenant alerts name it too when the run got far enough to log. Read the message, fix the cause, then delete it.'
    severity: 1
    enabled: true
    scopes: [
      logAnalyticsWorkspaceId
    ]
    // Storage logs can reach the workspace minutes late: the window overlaps the next evaluations so none is missed.
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'StorageQueueLogs | where AccountName == "${hostStorageAccountName}" and OperationName == "PutMessage" | where tostring(split(tostring(parse_url(Uri).Path), "/")[1]) == "${poisonQueueName}"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}
