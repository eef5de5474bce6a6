package hub

import (
	"cmp"
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
	// cost is what the cluster's own text adds to common's status as
	// stored (see costOf); budget decides from it which reports are
	// summarized.
	cost int
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
	return c.raises == o.raises && c.running == o.running && c.message == o.message && c.cost == o.cost &&
		slices.Equal(c.comps, o.comps)
}

// counted is cluster name's contribution with only the components that
// its effective configuration has (has), the one that common's roll-up
// counts: a report cannot add components, or text, to common's status that
// no configuration names. A counted component not ready makes the cluster
// not running and raises common at least to progressing, whatever phase
// the cluster reports, so that no cluster is healthy by omission.
func (c contribution) counted(name string, has func(string) bool) contribution {
	out := c
	out.comps = nil
	for _, r := range c.comps {
		if !has(r.name) {
			continue
		}
		out.comps = append(out.comps, r)
		if r.isBad {
			out.running = false
			if out.raises == hotplugv1.PhaseRunning {
				out.raises = hotplugv1.PhaseProgressing
			}
		}
	}
	out.cost = costOf(name, out)
	return out
}

// costOf is what cluster name's own text takes in common's status as
// stored: its "cluster <name>" message entry and each entry of a component
// not ready, which the component's message and its Ready condition both
// carry (common's status.message copies at most limits.MaxMessageBytes of a
// component and is bounded on its own).
func costOf(name string, c contribution) int {
	n := 0
	if c.message != "" {
		n += limits.JSONLen(clusterKey(name)) + limits.JSONLen(c.message)
	}
	for _, r := range c.comps {
		if r.isBad {
			n += 2 * (limits.JSONLen(r.bad) + len(entrySep))
		}
	}
	return n
}

// clusterKey is common's status.message key of a cluster's own entry.
func clusterKey(name string) string { return "cluster " + name }

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

// entries are the component's entries of clusters not over their share
// (see budget), in cluster name order, after a count of those over it.
func (a *compAgg) entries(over map[string]bool) []string {
	var bad []string
	summarized := 0
	for _, cl := range slices.Sorted(maps.Keys(a.bad)) {
		if over[cl] {
			summarized++
			continue
		}
		bad = append(bad, a.bad[cl]...)
	}
	if summarized > 0 {
		bad = append([]string{fmt.Sprintf("not ready in %d clusters whose reports are summarized", summarized)}, bad...)
	}
	return bad
}

// rollupIndex keeps every cluster's contribution and their sums; status
// returns what RollUp returns for the same clusters, in time proportional to
// the components and the clusters that are not running, not to the fleet.
// Not safe for concurrent use.
type rollupIndex struct {
	reported   map[string]contribution // as each cluster reports
	clusters   map[string]contribution // as counted (see counted)
	raised     map[string]int          // phase → clusters raising common to it
	notRunning map[string]bool
	messages   map[string]string // cluster → its own entry
	costs      map[string]int    // cluster → cost, when not 0
	comps      map[string]*compAgg
	// common and own name the components of each cluster's effective
	// configuration: common's and the cluster's own Hotplug's (the keyed
	// merge has exactly the union of the two).
	common map[string]bool
	own    map[string]map[string]bool
}

func newRollupIndex() *rollupIndex {
	return &rollupIndex{reported: map[string]contribution{}, clusters: map[string]contribution{}, raised: map[string]int{},
		notRunning: map[string]bool{}, messages: map[string]string{}, costs: map[string]int{}, comps: map[string]*compAgg{},
		common: map[string]bool{}, own: map[string]map[string]bool{}}
}

// has tells whether cluster's effective configuration has component comp.
func (x *rollupIndex) has(cluster, comp string) bool { return x.common[comp] || x.own[cluster][comp] }

// set records cluster name's contribution as reported; it reports whether
// common's roll-up may change.
func (x *rollupIndex) set(name string, c contribution) bool {
	x.reported[name] = c
	return x.count(name)
}

// count (re)counts cluster name's reported contribution against its
// configuration; it reports whether common's roll-up may change.
func (x *rollupIndex) count(name string) bool {
	c := x.reported[name].counted(name, func(comp string) bool { return x.has(name, comp) })
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
	delete(x.reported, name)
	return true
}

// configure sets the components of a configuration: common's (cluster is
// hotplugv1.CommonName) or a cluster's own Hotplug's (names nil when it is
// gone). It recounts the clusters that configuration applies to and
// reports whether common's roll-up may change.
func (x *rollupIndex) configure(cluster string, names []string) bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	if cluster == hotplugv1.CommonName {
		if maps.Equal(set, x.common) {
			return false
		}
		x.common = set
		changed := false
		for _, name := range slices.Sorted(maps.Keys(x.reported)) {
			changed = x.count(name) || changed
		}
		return changed
	}
	if maps.Equal(set, x.own[cluster]) {
		return false
	}
	if len(set) == 0 {
		delete(x.own, cluster)
	} else {
		x.own[cluster] = set
	}
	if _, ok := x.reported[cluster]; !ok {
		return false
	}
	return x.count(cluster)
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
			x.messages[name] = c.message
		}
		if c.cost > 0 {
			x.costs[name] = c.cost
		}
	} else {
		delete(x.notRunning, name)
		delete(x.messages, name)
		delete(x.costs, name)
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
	over := budget(x.costs, limits.MaxRollupReportBytes)
	messages := map[string]string{}
	for cl, m := range x.messages {
		if !over[cl] {
			messages[clusterKey(cl)] = m
		}
	}
	names, unlisted := x.listed()
	components := make([]hotplugv1.ComponentStatus, 0, len(names))
	for _, n := range names {
		a := x.comps[n]
		cs := hotplugv1.ComponentStatus{Name: n, Message: msgDisabled}
		status, reason := metav1.ConditionTrue, "AllClustersReady"
		var condMessage string
		switch {
		case len(a.bad) > 0:
			bad := a.entries(over)
			// The component's message is as short as the CRD has it; its
			// Ready condition carries more.
			cs.Message, status, reason = joinBounded(cutEach(bad, limits.MaxMessageBytes/4), entrySep, limits.MaxMessageBytes),
				metav1.ConditionFalse, "NotReadyInSomeClusters"
			condMessage = joinBounded(bad, entrySep, limits.MaxConditionBytes)
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
			Message: cmp.Or(condMessage, cs.Message), ObservedGeneration: generation, LastTransitionTime: now})
		components = append(components, cs)
		messages[n] = cs.Message
	}
	if len(components) == 0 {
		components = nil
	}
	if len(over) > 0 {
		messages[hotplugv1.MessageKeySummarized] = fmt.Sprintf("%d clusters' reports are summarized (condition %s names them)",
			len(over), hotplugv1.ConditionReportsSummarized)
	}
	st := hotplugv1.HotplugStatus{
		Phase: worst, Message: limits.MessagesJSON(messages, limits.MaxStatusMessageBytes), ObservedGeneration: generation,
		Components: components, Conditions: append([]metav1.Condition(nil), prev.Conditions...),
	}
	setSummarized(&st.Conditions, over, unlisted, generation, now)
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

// entrySep separates the entries of a component's message.
const entrySep = "; "

// listed is the components common's status lists, in name order: all that
// a counted report names when they fit in limits.MaxStatusComponents, else
// common's first and then the others in name order; unlisted counts those
// left out.
func (x *rollupIndex) listed() (names []string, unlisted int) {
	all := slices.Sorted(maps.Keys(x.comps))
	if len(all) <= limits.MaxStatusComponents {
		return all, 0
	}
	var first, rest []string
	for _, n := range all {
		if x.common[n] {
			first = append(first, n)
		} else {
			rest = append(rest, n)
		}
	}
	names = append(first, rest...)[:limits.MaxStatusComponents]
	slices.Sort(names)
	return names, len(all) - len(names)
}

// cutEach is items each cut to n bytes, so that a short message still
// names more than one of them.
func cutEach(items []string, n int) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = limits.Message(it, n)
	}
	return out
}
