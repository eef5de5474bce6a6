package hub

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// contribution is what one cluster adds to common's roll-up, computed once
// per change of the cluster, so that a change of one cluster costs the
// roll-up O(its components) instead of a pass over every cluster.
type contribution struct {
	// raises is the phase the cluster raises common's phase to (fail for an
	// abnormal cluster, progressing for one that never reported, its own
	// phase otherwise).
	raises string
	// running is false when the cluster is named in common's Ready
	// condition as not running.
	running bool
	// message, when set, is common's message entry "cluster <name>".
	message string
	// comps is the cluster's report of each component (none for an
	// abnormal or silent cluster).
	comps []compReport
}

// compReport is one cluster's report of one component: running (its
// release runs), or bad (not ready) with the entry naming the cluster.
type compReport struct {
	name    string
	running bool
	bad     string
	isBad   bool
}

// equal tells whether two contributions change common alike.
func (c contribution) equal(o contribution) bool {
	return c.raises == o.raises && c.running == o.running && c.message == o.message && slices.Equal(c.comps, o.comps)
}

// contributionOf decides a cluster's contribution exactly as RollUp reads
// the cluster.
func contributionOf(c *clusterv1.Cluster) contribution {
	switch {
	case c.Status.State == clusterv1.ClusterAbnormal:
		return contribution{raises: hotplugv1.PhaseFail,
			message: limits.Message("abnormal: "+c.Status.Reason, limits.MaxMessageBytes)}
	case c.Status.HotplugPhase == "":
		return contribution{raises: hotplugv1.PhaseProgressing, message: "waiting for the cluster's agent to report"}
	}
	out := contribution{raises: c.Status.HotplugPhase, running: c.Status.HotplugPhase == hotplugv1.PhaseRunning,
		comps: make([]compReport, 0, len(c.Status.Components))}
	for _, cs := range c.Status.Components {
		r := compReport{name: cs.Name}
		switch ready, running := componentReady(cs); {
		case running:
			r.running = true
		case ready:
		default:
			r.isBad, r.bad = true, limits.Message(c.Name+": "+cs.Message, limits.MaxMessageBytes)
		}
		out.comps = append(out.comps, r)
	}
	return out
}

// compAgg is one component summed over the clusters that report it.
type compAgg struct {
	refs    int                 // reports of the component
	running int                 // reports that it runs
	bad     map[string][]string // cluster → its not-ready entries
}

// rollupIndex keeps every cluster's contribution and their sums; status
// returns what RollUp returns for the same clusters, in time proportional to
// the components and the clusters that are not running, not to the fleet.
// Not safe for concurrent use.
type rollupIndex struct {
	clusters   map[string]contribution
	raised     map[string]int // phase → clusters raising common to it
	notRunning map[string]bool
	messages   map[string]string // "cluster <name>" entries
	comps      map[string]*compAgg
}

func newRollupIndex() *rollupIndex {
	return &rollupIndex{clusters: map[string]contribution{}, raised: map[string]int{}, notRunning: map[string]bool{},
		messages: map[string]string{}, comps: map[string]*compAgg{}}
}

// set records cluster name's contribution; it reports whether common's
// roll-up may change.
func (x *rollupIndex) set(name string, c contribution) bool {
	if old, ok := x.clusters[name]; ok {
		if old.equal(c) {
			return false
		}
		x.apply(name, old, -1)
	}
	x.clusters[name] = c
	x.apply(name, c, +1)
	return true
}

// remove forgets cluster name; it reports whether it was known.
func (x *rollupIndex) remove(name string) bool {
	old, ok := x.clusters[name]
	if !ok {
		return false
	}
	x.apply(name, old, -1)
	delete(x.clusters, name)
	return true
}

// apply adds (sign +1) or subtracts (-1) a contribution from the sums.
func (x *rollupIndex) apply(name string, c contribution, sign int) {
	x.raised[c.raises] += sign
	if x.raised[c.raises] == 0 {
		delete(x.raised, c.raises)
	}
	if sign > 0 {
		if !c.running {
			x.notRunning[name] = true
		}
		if c.message != "" {
			x.messages["cluster "+name] = c.message
		}
	} else {
		delete(x.notRunning, name)
		delete(x.messages, "cluster "+name)
	}
	for _, r := range c.comps {
		a := x.comps[r.name]
		if a == nil {
			a = &compAgg{bad: map[string][]string{}}
			x.comps[r.name] = a
		}
		a.refs += sign
		if r.running {
			a.running += sign
		}
		if r.isBad {
			if sign > 0 {
				a.bad[name] = append(a.bad[name], r.bad)
			} else {
				delete(a.bad, name)
			}
		}
		if a.refs == 0 {
			delete(x.comps, r.name)
		}
	}
}

// status is RollUp's result for the recorded clusters (see RollUp).
func (x *rollupIndex) status(prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	rank := map[string]int{hotplugv1.PhaseRunning: 0, hotplugv1.PhaseProgressing: 1, hotplugv1.PhaseFail: 2}
	worst := hotplugv1.PhaseRunning
	for p := range x.raised {
		if rank[p] > rank[worst] {
			worst = p
		}
	}
	messages := maps.Clone(x.messages)
	names := slices.Sorted(maps.Keys(x.comps))
	components := make([]hotplugv1.ComponentStatus, 0, len(names))
	for _, n := range names {
		a := x.comps[n]
		cs := hotplugv1.ComponentStatus{Name: n, Message: msgDisabled}
		status, reason := metav1.ConditionTrue, "AllClustersReady"
		switch {
		case len(a.bad) > 0:
			var bad []string
			for _, cl := range slices.Sorted(maps.Keys(a.bad)) {
				bad = append(bad, a.bad[cl]...)
			}
			cs.Message, status, reason = joinBounded(bad, "; ", limits.MaxConditionBytes), metav1.ConditionFalse, "NotReadyInSomeClusters"
		case a.running > 0:
			cs.Message = msgRunning
		}
		var prevConds []metav1.Condition
		for _, p := range prev.Components {
			if p.Name == n {
				prevConds = append(prevConds, p.Conditions...)
			}
		}
		cs.Conditions = prevConds
		meta.SetStatusCondition(&cs.Conditions, metav1.Condition{Type: hotplugv1.ConditionReady, Status: status, Reason: reason,
			Message: cs.Message, ObservedGeneration: generation, LastTransitionTime: now})
		components = append(components, cs)
		messages[n] = limits.Message(cs.Message, limits.MaxMessageBytes)
	}
	if len(components) == 0 {
		components = nil
	}
	data, _ := json.Marshal(messages)
	st := hotplugv1.HotplugStatus{
		Phase: worst, Message: string(data), ObservedGeneration: generation, Components: components,
		Conditions: append([]metav1.Condition(nil), prev.Conditions...),
	}
	cond := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllClustersRunning",
		Message: fmt.Sprintf("all %d clusters are running", len(x.clusters)), ObservedGeneration: generation, LastTransitionTime: now}
	if len(x.notRunning) > 0 {
		notRunning := slices.Sorted(maps.Keys(x.notRunning))
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ClustersNotRunning", joinBounded(notRunning, ", ", limits.MaxConditionBytes-len("not running: "))
		cond.Message = "not running: " + cond.Message
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	// In a fixed order, so that a new status is always the same bytes.
	for _, typ := range []string{hotplugv1.ConditionReconciling, hotplugv1.ConditionStalled} {
		on := typ == hotplugv1.ConditionReconciling && worst == hotplugv1.PhaseProgressing ||
			typ == hotplugv1.ConditionStalled && worst == hotplugv1.PhaseFail
		c := metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: cond.Reason, ObservedGeneration: generation, LastTransitionTime: now}
		if on {
			c.Status, c.Message = metav1.ConditionTrue, cond.Message
		}
		meta.SetStatusCondition(&st.Conditions, c)
	}
	return st
}
