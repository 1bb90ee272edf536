// Two log alerts on the function's invocations (Application Insights `requests`), to one action group:
// a run of the exporter failed, and no run has succeeded for a while (the exporter is stuck, stopped or throttled).
param location string
param tags object = {}
param actionGroupName string
param alertRuleNamePrefix string
param applicationInsightsId string
param functionName string
@description('Recipient of the alerts; empty: the rules fire in the portal but notify no one.')
param alertEmailAddress string = ''
@allowed([1, 2, 3, 4, 5, 6])
param noSuccessAlertHours int = 1

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
    displayName: '${functionName} failed'
    description: 'A run of ${functionName} failed. The watermark did not move; the next run retries. See the exception in Application Insights.'
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
          query: 'requests | where operation_Name == "${functionName}" and success == false'
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
    description: 'No run of ${functionName} succeeded in the last ${noSuccessAlertHours} hour(s): incidents are not being exported.'
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
          query: 'requests | where operation_Name == "${functionName}" and success == true'
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
