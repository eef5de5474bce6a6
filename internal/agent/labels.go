package agent

// Release labels the agent stores with the releases it installs or upgrades.
const (
	LabelManagedBy = "hotplug.kubecube.io/managed-by"
	LabelCluster   = "hotplug.kubecube.io/cluster"
	ManagedByValue = "hotplug-agent"
)
