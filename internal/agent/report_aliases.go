package agent

import hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"

// The reporter (report.go, heartbeat_test.go) still reads the condition
// types by these names. It leaves this package for internal/report (issue
// 18 item 3) and names the API's constants there: delete this file with
// that move; nothing else uses these.
const (
	// ConditionReady is hotplugv1.ConditionReady.
	ConditionReady = hotplugv1.ConditionReady
	// ConditionReconciling is hotplugv1.ConditionReconciling.
	ConditionReconciling = hotplugv1.ConditionReconciling
	// ConditionStalled is hotplugv1.ConditionStalled.
	ConditionStalled = hotplugv1.ConditionStalled
)
