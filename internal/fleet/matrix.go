package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Row is one cell of the fleet matrix: one component in one cluster. A
// cluster whose agent reported no component yet has one Row with an empty
// Component.
type Row struct {
	Cluster       string     `json:"cluster"`
	State         string     `json:"state"`
	HotplugPhase  string     `json:"hotplugPhase,omitempty"`
	LastHeartbeat *time.Time `json:"lastHeartbeat,omitempty"`
	Component     string     `json:"component,omitempty"`
	Enabled       bool       `json:"enabled"`
	Ready         bool       `json:"ready"`
	Message       string     `json:"message,omitempty"`
	Chart         string     `json:"chart,omitempty"`
	ChartVersion  string     `json:"chartVersion,omitempty"`
	// ChartDigest is the package digest of a chart pulled from a registry.
	ChartDigest string `json:"chartDigest,omitempty"`
	Revision    int    `json:"revision,omitempty"`
}

// ListClusters reads every Cluster from the pivot, sorted by name.
func ListClusters(ctx context.Context, c client.Reader) ([]clusterv1.Cluster, error) {
	var list clusterv1.ClusterList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing Clusters: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b clusterv1.Cluster) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, nil
}

// Matrix builds the rows of the fleet matrix from Cluster objects: per
// cluster (in the given order) its components sorted by name. It is pure.
func Matrix(clusters []clusterv1.Cluster) []Row {
	rows := []Row{}
	for _, cl := range clusters {
		base := Row{Cluster: cl.Name, State: string(cl.Status.State), HotplugPhase: cl.Status.HotplugPhase}
		if cl.Status.LastHeartbeat != nil {
			t := cl.Status.LastHeartbeat.UTC()
			base.LastHeartbeat = &t
		}
		comps := slices.Clone(cl.Status.Components)
		slices.SortFunc(comps, func(a, b hotplugv1.ComponentStatus) int { return strings.Compare(a.Name, b.Name) })
		if len(comps) == 0 {
			rows = append(rows, base)
			continue
		}
		for _, cs := range comps {
			r := base
			r.Component, r.Enabled, r.Message = cs.Name, cs.Enabled, cs.Message
			r.Chart, r.ChartVersion, r.ChartDigest, r.Revision = cs.Chart, cs.ChartVersion, cs.ChartDigest, cs.Revision
			r.Ready = componentReady(cs)
			rows = append(rows, r)
		}
	}
	return rows
}

// componentReady reads the component's Ready condition (the status
// contract of api/hotplug/v1); without one the component is not ready yet.
func componentReady(cs hotplugv1.ComponentStatus) bool {
	return meta.IsStatusConditionTrue(cs.Conditions, hotplugv1.ConditionReady)
}

// Problems lists, one sentence each, the clusters that are not normal and
// the components that are not ready; empty means the fleet is healthy.
func Problems(rows []Row) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Cluster] {
			seen[r.Cluster] = true
			if r.State != string(clusterv1.ClusterNormal) {
				state := r.State
				if state == "" {
					state = "unknown (no state reported)"
				}
				out = append(out, fmt.Sprintf("cluster %s is %s", r.Cluster, state))
			}
		}
		if r.Component != "" && !r.Ready {
			out = append(out, fmt.Sprintf("cluster %s: component %s is not ready: %s", r.Cluster, r.Component, r.Message))
		}
	}
	return out
}
