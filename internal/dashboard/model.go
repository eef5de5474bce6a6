package dashboard

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Phases of a cell, shown as text and colour.
const (
	PhaseReady       = "ready"
	PhaseProgressing = "progressing"
	PhaseFailing     = "failing"
	PhaseDisabled    = "disabled"
	PhaseUnknown     = "unknown"
)

// recentDrift is how long a drift repair marks its cell.
const recentDrift = 15 * time.Minute

// Cell is one component in one cluster, as the matrix shows it: small,
// because a fleet's snapshot holds thousands (the detail is a Detail).
type Cell struct {
	Cluster   string `json:"cluster"`
	Component string `json:"component"`
	// Phase is one of the Phase* constants.
	Phase  string `json:"phase"`
	Reason string `json:"reason,omitempty"`
	// Message is the component's message when it is not ready.
	Message string `json:"message,omitempty"`
	Version string `json:"version,omitempty"`
	// Digest is the chart digest's first 12 hex digits.
	Digest   string `json:"digest,omitempty"`
	Revision int    `json:"revision,omitempty"`
	// Drift is the message of a drift repair within recentDrift.
	Drift string `json:"drift,omitempty"`
}

// Detail is one cell with everything the detail view shows.
type Detail struct {
	Cell
	// Message is the component's message, always.
	Message string `json:"message,omitempty"`
	// Digest is the whole chart digest.
	Digest     string      `json:"digest,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition is a condition as the detail view shows it.
type Condition struct {
	Type    string    `json:"type"`
	Status  string    `json:"status"`
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since"`
}

// ClusterView is one cluster's row header.
type ClusterView struct {
	Name           string     `json:"name"`
	State          string     `json:"state"`
	Reason         string     `json:"reason,omitempty"`
	Heartbeat      *time.Time `json:"heartbeat,omitempty"`
	CommonRevision int64      `json:"commonRevision,omitempty"`
	// AgentVersion is the version the cluster's agent reports.
	AgentVersion string            `json:"agentVersion,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	// Failing counts the cells of the cluster that are failing.
	Failing int `json:"failing"`
	// Canary is the canary label (the rollout moves it first).
	Canary bool `json:"canary,omitempty"`
}

// RolloutView is the rollout of common's revisions.
type RolloutView struct {
	Revision       int64  `json:"revision"`
	TargetRevision int64  `json:"targetRevision"`
	Phase          string `json:"phase"`
	// Paused is the pause annotation of common (the hub moves no further
	// cluster while it is set, whatever the phase).
	Paused   bool                `json:"paused"`
	Message  string              `json:"message,omitempty"`
	Clusters []ClusterRolloutRow `json:"clusters,omitempty"`
}

// ClusterRolloutRow is one cluster's place in the rollout.
type ClusterRolloutRow struct {
	Name     string     `json:"name"`
	Revision int64      `json:"revision"`
	State    string     `json:"state"`
	Since    *time.Time `json:"since,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// Snapshot is the whole view: clusters by name (the page puts what is
// failing first, so a cell's change never reorders the snapshot), the union
// of their components (sorted), every cell, and the rollout when there is
// one.
type Snapshot struct {
	Clusters   []ClusterView `json:"clusters"`
	Components []string      `json:"components"`
	Cells      []Cell        `json:"cells"`
	Rollout    *RolloutView  `json:"rollout,omitempty"`

	details map[string]Detail // by cellKey
}

// Detail returns the detail of a cell.
func (s Snapshot) Detail(cluster, component string) (Detail, bool) {
	d, ok := s.details[cellKey(cluster, component)]
	return d, ok
}

func cellKey(cluster, component string) string { return cluster + "\x00" + component }

// Build makes the snapshot from the pivot's Cluster objects (where each
// agent reports) and common (nil when absent). It is pure; now dates the
// drift marks.
func Build(clusters []clusterv1.Cluster, common *hotplugv1.Hotplug, now time.Time) Snapshot {
	s := Snapshot{Clusters: []ClusterView{}, Components: []string{}, Cells: []Cell{}, details: map[string]Detail{}}
	seen := map[string]bool{}
	for _, cl := range clusters {
		v := ClusterView{Name: cl.Name, State: string(cl.Status.State), Reason: cl.Status.Reason,
			CommonRevision: cl.Status.CommonRevision, AgentVersion: cl.Status.AgentVersion, Labels: cl.Labels, Canary: cl.Labels[hotplugv1.CanaryLabel] == "true"}
		if v.State == "" {
			v.State = PhaseUnknown
		}
		if hb := cl.Status.LastHeartbeat; hb != nil {
			t := hb.UTC()
			v.Heartbeat = &t
		}
		for _, cs := range cl.Status.Components {
			d := detailOf(cl.Name, cs, now)
			s.details[cellKey(cl.Name, cs.Name)] = d
			c := d.Cell
			if c.Phase == PhaseFailing {
				v.Failing++
			}
			if !seen[cs.Name] {
				seen[cs.Name] = true
				s.Components = append(s.Components, cs.Name)
			}
			s.Cells = append(s.Cells, c)
		}
		s.Clusters = append(s.Clusters, v)
	}
	slices.Sort(s.Components)
	slices.SortFunc(s.Clusters, func(a, b ClusterView) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Cells, func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Component, b.Component))
	})
	if common != nil && common.Status.Rollout != nil {
		s.Rollout = rolloutOf(common.Status.Rollout)
		s.Rollout.Paused = common.Annotations[hotplugv1.RolloutPausedAnnotation] == "true"
	}
	return s
}

// detailOf reads one component's status through its Ready condition (the
// status contract), never its message text.
func detailOf(cluster string, cs hotplugv1.ComponentStatus, now time.Time) Detail {
	c := Cell{Cluster: cluster, Component: cs.Name, Version: cs.ChartVersion,
		Digest: shortDigest(cs.ChartDigest), Revision: cs.Revision, Phase: phaseOf(cs)}
	if ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady); ready != nil {
		c.Reason = ready.Reason
	}
	if c.Phase != PhaseReady {
		c.Message = cs.Message
	}
	if d := cs.LastDriftRepair; d != nil && now.Sub(d.Time.Time) < recentDrift {
		c.Drift = d.Message
	}
	d := Detail{Cell: c, Message: cs.Message, Digest: cs.ChartDigest}
	for _, cond := range cs.Conditions {
		d.Conditions = append(d.Conditions, Condition{Type: cond.Type, Status: string(cond.Status),
			Reason: cond.Reason, Message: cond.Message, Since: cond.LastTransitionTime.UTC()})
	}
	return d
}

// shortDigest is the first 12 hex digits of a sha256 digest.
func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// phaseOf classifies a component by its Ready condition.
func phaseOf(cs hotplugv1.ComponentStatus) string {
	ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	switch {
	case !cs.Enabled && (ready == nil || ready.Status == metav1.ConditionTrue):
		return PhaseDisabled
	case ready == nil:
		return PhaseUnknown
	case ready.Status == metav1.ConditionTrue:
		return PhaseReady
	case ready.Reason == hotplugv1.ReasonProgressing || ready.Reason == hotplugv1.ReasonWorkloadsProgressing ||
		ready.Reason == hotplugv1.ReasonDependencyNotReady:
		return PhaseProgressing
	default:
		return PhaseFailing
	}
}

// rolloutOf copies the rollout status for the view.
func rolloutOf(r *hotplugv1.RolloutStatus) *RolloutView {
	v := &RolloutView{Revision: r.Revision, TargetRevision: r.TargetRevision, Phase: string(r.Phase), Message: r.Message}
	for _, c := range r.Clusters {
		row := ClusterRolloutRow{Name: c.Name, Revision: c.Revision, State: string(c.State), Reason: c.Reason}
		if c.Since != nil {
			t := c.Since.UTC()
			row.Since = &t
		}
		v.Clusters = append(v.Clusters, row)
	}
	return v
}
