package hub

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// Messages the roll-up writes for a component that is as configured in
// every cluster. It decides from the clusters' Ready conditions, never
// from their messages.
const (
	msgRunning  = hotplugv1.MessageRunning
	msgDisabled = hotplugv1.StatusDisabled
)

// componentReady reads a cluster's report of one component: ready is its
// Ready condition, running that it is ready because its release runs.
func componentReady(cs hotplugv1.ComponentStatus) (ready, running bool) {
	c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionTrue {
		return false, false
	}
	return true, c.Reason == hotplugv1.ReasonDeployed
}

// RollUp computes the status of `common` on the pivot from every cluster's
// report: running only when every cluster is running. configs are the
// Hotplugs of the pivot (common and the clusters' own): a cluster's report
// counts only for the components its effective configuration has (common's
// and its own Hotplug's), and one of those not ready makes the cluster not
// running. The message keeps the original's JSON object of component →
// sentence; a component that is not well somewhere names those clusters,
// and a cluster that does not report at all appears under the key "cluster
// <name>". Every message is bounded (limits.Message): one cluster's at
// limits.MaxMessageBytes, a component's and a condition's at
// limits.MaxConditionBytes, the whole message at
// limits.MaxStatusMessageBytes; the clusters' own text together at
// limits.MaxRollupReportBytes (budget: the clusters reporting the most are
// summarized, and the ReportsSummarized condition names them), so that the
// status stays within limits.MaxRollupBytes and writable however many
// clusters report however long errors.
func RollUp(clusters []clusterv1.Cluster, configs []hotplugv1.Hotplug, prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	x := newRollupIndex()
	for i := range configs {
		x.configure(configs[i].Name, componentNames(&configs[i]))
	}
	for i := range clusters {
		x.set(clusters[i].Name, contributionOf(&clusters[i]))
	}
	return x.status(prev, generation, now)
}

// componentNames are the names of hp's components.
func componentNames(hp *hotplugv1.Hotplug) []string {
	names := make([]string, 0, len(hp.Spec.Component))
	for _, c := range hp.Spec.Component {
		names = append(names, c.Name)
	}
	return names
}

// joinBounded joins items with sep into at most n bytes: whole items while
// they fit, then how many were left out.
func joinBounded(items []string, sep string, n int) string {
	const reserve = 64 // room for the count of the rest
	var b strings.Builder
	for i, it := range items {
		add := len(it)
		if i > 0 {
			add += len(sep)
		}
		room := n - reserve
		if i == len(items)-1 {
			room = n
		}
		if b.Len()+add > room {
			if i > 0 {
				b.WriteString(sep)
			}
			fmt.Fprintf(&b, "and %d more", len(items)-i)
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(it)
	}
	return limits.Message(b.String(), n)
}

// Stale tells whether a cluster's agent has missed its heartbeat: it never
// reported within timeout of the Cluster's creation, or its last report is
// older than timeout. The reason says which.
func Stale(c *clusterv1.Cluster, timeout time.Duration, now time.Time) (bool, string) {
	if hb := c.Status.LastHeartbeat; hb != nil {
		if age := now.Sub(hb.Time); age > timeout {
			return true, fmt.Sprintf("hotplug agent has not reported since %s (timeout %s)", hb.UTC().Format(time.RFC3339), timeout)
		}
		return false, ""
	}
	if now.Sub(c.CreationTimestamp.Time) > timeout {
		return true, fmt.Sprintf("hotplug agent has never reported (cluster registered %s, timeout %s)", c.CreationTimestamp.UTC().Format(time.RFC3339), timeout)
	}
	return false, ""
}
