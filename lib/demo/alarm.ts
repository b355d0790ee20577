// The alarm the demo sends: a CloudWatch "DatabaseConnections high" alarm delivered by SNS to
// Lambda, exactly as AWS shapes it, so it goes through the production parser.
export function rdsConnectionsAlarmEvent(opts: { instance: string; value: number; threshold: number; now?: Date }): unknown {
  const now = opts.now ?? new Date();
  const cwTime = now.toISOString().replace('Z', '+0000');
  const alarmName = `${opts.instance}-db-connections-high`;
  const message = {
    AlarmName: alarmName,
    AlarmDescription: `DatabaseConnections on ${opts.instance} above ${opts.threshold}`,
    AWSAccountId: '000000000000',
    NewStateValue: 'ALARM',
    NewStateReason: `Threshold Crossed: 1 out of the last 1 datapoints [${opts.value}.0] was greater than or equal to the threshold (${opts.threshold}.0).`,
    StateChangeTime: cwTime,
    Region: 'Local (demo)',
    AlarmArn: `arn:aws:cloudwatch:local:000000000000:alarm:${alarmName}`,
    OldStateValue: 'OK',
    Trigger: {
      MetricName: 'DatabaseConnections',
      Namespace: 'AWS/RDS',
      StatisticType: 'Statistic',
      Statistic: 'MAXIMUM',
      Unit: null,
      Dimensions: [{ value: opts.instance, name: 'DBInstanceIdentifier' }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: opts.threshold,
      TreatMissingData: 'missing',
    },
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:local:000000000000:leakhound-alarms:demo',
        Sns: {
          Type: 'Notification',
          MessageId: '00000000-0000-4000-8000-000000000000',
          TopicArn: 'arn:aws:sns:local:000000000000:leakhound-alarms',
          Subject: `ALARM: "${alarmName}"`,
          Message: JSON.stringify(message),
          Timestamp: now.toISOString(),
          SignatureVersion: '1',
          Signature: 'demo',
          SigningCertUrl: 'https://sns.local.amazonaws.com/demo.pem',
          UnsubscribeUrl: 'https://sns.local.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}
