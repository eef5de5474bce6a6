package agent

import "github.com/kubecube-io/hotplug/internal/helm"

// Release labels the agent stores with the releases it installs or upgrades.
const (
	LabelManagedBy = "hotplug.kubecube.io/managed-by"
	LabelCluster   = "hotplug.kubecube.io/cluster"
	// LabelDigest records the digest of the chart and values a release was
	// made from. Helm does not store subcharts with a release, so a digest
	// recomputed from a stored release cannot match the package on disk for
	// charts with dependencies; the label can.
	LabelDigest    = "hotplug.kubecube.io/digest"
	ManagedByValue = "hotplug-agent"
)

// digestLen keeps the digest within a label value's 63 characters.
const digestLen = 40

func shortDigest(d string) string {
	if len(d) > digestLen {
		return d[:digestLen]
	}
	return d
}

// releaseDigest is what a release was made from: the label the agent wrote,
// else (a release adopted from another installer) the digest recomputed
// from the stored chart and values.
func releaseDigest(r *helm.Release) string {
	if d := r.Labels[LabelDigest]; d != "" {
		return d
	}
	return shortDigest(r.Digest)
}
