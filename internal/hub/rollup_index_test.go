package hub

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// randomCluster is one of the shapes a cluster's report takes: abnormal,
// silent, or reporting a phase and a few components in any state.
func randomCluster(r *rand.Rand, name string) clusterv1.Cluster {
	msgs := []string{hotplugv1.MessageRunning, hotplugv1.StatusDisabled, "Deployment x/y: Available: 0/1", "helm upgrade failed: boom"}
	comps := map[string]string{}
	for _, n := range []string{"logagent", "logseer", "monitoring", "thanos", "audit"} {
		if r.IntN(4) > 0 {
			comps[n] = msgs[r.IntN(len(msgs))]
		}
	}
	switch r.IntN(8) {
	case 0:
		c := cluster(name, clusterv1.ClusterAbnormal, "running", comps)
		c.Status.Reason = "silent"
		return c
	case 1:
		return cluster(name, clusterv1.ClusterNormal, "", nil)
	}
	phases := []string{"running", "running", "running", "progressing", "fail", "odd"}
	return cluster(name, clusterv1.ClusterNormal, phases[r.IntN(len(phases))], comps)
}

// randomNames is a random subset of the components randomCluster reports,
// and one it never reports.
func randomNames(r *rand.Rand) []string {
	names := []string{"never-reported"}
	for _, n := range []string{"logagent", "logseer", "monitoring", "thanos", "audit"} {
		if r.IntN(3) > 0 {
			names = append(names, n)
		}
	}
	return names
}

// TestRollUpIndexIncremental drives one index through random creates,
// updates and deletions of clusters, as the watch does, and random changes
// of common's and the clusters' own components, and checks after every step
// that its status equals the roll-up of the reference algorithm
// (rollUpReference) over the clusters and configurations that exist then.
func TestRollUpIndexIncremental(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		idx := newRollupIndex()
		current := map[string]clusterv1.Cluster{}
		configs := map[string][]string{}
		prev := hotplugv1.HotplugStatus{}
		for step := range 200 {
			name := fmt.Sprintf("c%02d", r.IntN(30))
			if r.IntN(6) == 0 {
				if r.IntN(2) == 0 {
					name = hotplugv1.CommonName
				}
				if r.IntN(4) == 0 {
					delete(configs, name)
					idx.configure(name, nil)
				} else {
					configs[name] = randomNames(r)
					idx.configure(name, configs[name])
				}
			} else if r.IntN(5) == 0 {
				delete(current, name)
				idx.remove(name)
			} else {
				c := randomCluster(r, name)
				current[name] = c
				idx.set(name, contributionOf(&c))
			}
			var list []clusterv1.Cluster
			for _, c := range current {
				list = append(list, *c.DeepCopy())
			}
			has := func(cluster, comp string) bool {
				return slices.Contains(configs[hotplugv1.CommonName], comp) || slices.Contains(configs[cluster], comp)
			}
			want := rollUpReference(list, has, prev, int64(step), now)
			got := idx.status(prev, int64(step), now)
			// The reference adds Reconciling and Stalled in map order.
			for _, st := range []*hotplugv1.HotplugStatus{&want, &got} {
				sort.SliceStable(st.Conditions, func(i, j int) bool { return st.Conditions[i].Type < st.Conditions[j].Type })
			}
			if !equality.Semantic.DeepEqual(want, got) {
				w, _ := json.Marshal(want)
				g, _ := json.Marshal(got)
				t.Fatalf("seed %d step %d: incremental roll-up differs\nwant %s\ngot  %s", seed, step, w, g)
			}
			prev = got
		}
	}
}

// TestRollUpIndexSetReportsChange: an event that leaves a cluster's
// contribution as it was (a heartbeat, a resourceVersion) asks for no
// roll-up; a change, a new cluster and a removal do.
func TestRollUpIndexSetReportsChange(t *testing.T) {
	idx := newRollupIndex()
	idx.configure(hotplugv1.CommonName, []string{"logagent"})
	c := cluster("m1", clusterv1.ClusterNormal, "running", map[string]string{"logagent": hotplugv1.MessageRunning})
	if !idx.set("m1", contributionOf(&c)) {
		t.Error("a new cluster did not ask for a roll-up")
	}
	beat := c.DeepCopy()
	beat.Status.LastHeartbeat = &metav1.Time{Time: time.Now()}
	beat.ResourceVersion = "42"
	if idx.set("m1", contributionOf(beat)) {
		t.Error("a heartbeat-only change asked for a roll-up")
	}
	bad := cluster("m1", clusterv1.ClusterNormal, "progressing", map[string]string{"logagent": "Deployment a/b: Available: 0/1"})
	if !idx.set("m1", contributionOf(&bad)) {
		t.Error("a changed report did not ask for a roll-up")
	}
	if !idx.remove("m1") || idx.remove("m1") {
		t.Error("remove should report a known cluster once")
	}
	if len(idx.comps) != 0 || len(idx.raised) != 0 || len(idx.notRunning) != 0 || len(idx.messages) != 0 || len(idx.costs) != 0 {
		t.Errorf("sums not empty after removing every cluster: %+v", idx)
	}
}

// BenchmarkRollUpEvent compares the cost of one cluster's change at 200
// clusters: the whole roll-up (what every event cost before) against the
// index (one contribution, then the status).
func BenchmarkRollUpEvent(b *testing.B) {
	now := metav1.Now()

	var list []clusterv1.Cluster
	idx := newRollupIndex()
	configs := []hotplugv1.Hotplug{commonOf("logagent", "logseer", "monitoring", "thanos", "audit")}
	idx.configure(hotplugv1.CommonName, componentNames(&configs[0]))
	for i := range 200 {
		c := cluster(fmt.Sprintf("member-%03d", i), clusterv1.ClusterNormal, "running", map[string]string{
			"logagent": hotplugv1.MessageRunning, "logseer": hotplugv1.MessageRunning, "monitoring": hotplugv1.MessageRunning,
			"thanos": hotplugv1.MessageRunning, "audit": hotplugv1.StatusDisabled})
		list = append(list, c)
		idx.set(c.Name, contributionOf(&c))
	}

	b.Run("full-200", func(b *testing.B) {
		for b.Loop() {
			cp := make([]clusterv1.Cluster, len(list))
			for i := range list {
				list[i].DeepCopyInto(&cp[i]) // the cached List's copy
			}
			_ = RollUp(cp, configs, hotplugv1.HotplugStatus{}, 1, now)
		}
	})
	b.Run("incremental-200", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			c := &list[i%len(list)]
			idx.set(c.Name, contributionOf(c))
			_ = idx.status(hotplugv1.HotplugStatus{}, 1, now)
		}
	})
}

// rollUpReference is RollUp as it was before the index (a pass over every
// cluster per event), kept as the specification the index must match:
// only the components a cluster's configuration has count (has), one of
// them not ready makes a cluster not running; no summarizing (the reports
// here are far below the budget).
func rollUpReference(clusters []clusterv1.Cluster, has func(cluster, comp string) bool, prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	type agg struct {
		running bool
		bad     []string
	}
	comps := map[string]*agg{}
	messages := map[string]string{}
	var notRunning []string
	worst := hotplugv1.PhaseRunning
	rank := map[string]int{hotplugv1.PhaseRunning: 0, hotplugv1.PhaseProgressing: 1, hotplugv1.PhaseFail: 2}
	raise := func(p string) {
		if rank[p] > rank[worst] {
			worst = p
		}
	}
	for _, c := range clusters {
		switch {
		case c.Status.State == clusterv1.ClusterAbnormal:
			messages["cluster "+c.Name] = limits.Message("abnormal: "+c.Status.Reason, limits.MaxMessageBytes)
			notRunning = append(notRunning, c.Name)
			raise(hotplugv1.PhaseFail)
			continue
		case c.Status.HotplugPhase == "":
			messages["cluster "+c.Name] = "waiting for the cluster's agent to report"
			notRunning = append(notRunning, c.Name)
			raise(hotplugv1.PhaseProgressing)
			continue
		case c.Status.HotplugPhase != hotplugv1.PhaseRunning:
			notRunning = append(notRunning, c.Name)
			raise(c.Status.HotplugPhase)
		default:
			for _, cs := range c.Status.Components {
				if ready, _ := componentReady(cs); !ready && has(c.Name, cs.Name) {
					notRunning = append(notRunning, c.Name)
					raise(hotplugv1.PhaseProgressing)
					break
				}
			}
		}
		for _, cs := range c.Status.Components {
			if !has(c.Name, cs.Name) {
				continue
			}
			a := comps[cs.Name]
			if a == nil {
				a = &agg{}
				comps[cs.Name] = a
			}
			switch ready, running := componentReady(cs); {
			case running:
				a.running = true
			case ready:
			default:
				a.bad = append(a.bad, limits.Message(c.Name+": "+cs.Message, limits.MaxMessageBytes))
			}
		}
	}
	var components []hotplugv1.ComponentStatus
	names := make([]string, 0, len(comps))
	for n := range comps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := comps[n]
		cs := hotplugv1.ComponentStatus{Name: n, Message: msgDisabled}
		status, reason := metav1.ConditionTrue, "AllClustersReady"
		condMessage := ""
		switch {
		case len(a.bad) > 0:
			cs.Message, status, reason = joinBounded(cutEach(a.bad, limits.MaxMessageBytes/4), "; ", limits.MaxMessageBytes), metav1.ConditionFalse, "NotReadyInSomeClusters"
			condMessage = joinBounded(a.bad, "; ", limits.MaxConditionBytes)
		case a.running:
			cs.Message, condMessage = msgRunning, msgRunning
		default:
			condMessage = cs.Message
		}
		prevConds := []metav1.Condition(nil)
		for _, p := range prev.Components {
			if p.Name == n {
				prevConds = append(prevConds, p.Conditions...)
			}
		}
		cs.Conditions = prevConds
		meta.SetStatusCondition(&cs.Conditions, metav1.Condition{Type: hotplugv1.ConditionReady, Status: status, Reason: reason,
			Message: condMessage, ObservedGeneration: generation, LastTransitionTime: now})
		components = append(components, cs)
		messages[n] = limits.Message(cs.Message, limits.MaxMessageBytes)
	}
	data, _ := json.Marshal(messages)
	st := hotplugv1.HotplugStatus{
		Phase: worst, Message: string(data), ObservedGeneration: generation, Components: components,
		Conditions: append([]metav1.Condition(nil), prev.Conditions...),
	}
	cond := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllClustersRunning",
		Message: fmt.Sprintf("all %d clusters are running", len(clusters)), ObservedGeneration: generation, LastTransitionTime: now}
	if len(notRunning) > 0 {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ClustersNotRunning", joinBounded(notRunning, ", ", limits.MaxConditionBytes-len("not running: "))
		cond.Message = "not running: " + cond.Message
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	// kstatus' abnormal-true conditions follow the phase, so that
	// `kubectl wait` and kstatus-aware tools read common's health too.
	for typ, on := range map[string]bool{hotplugv1.ConditionReconciling: worst == hotplugv1.PhaseProgressing, hotplugv1.ConditionStalled: worst == hotplugv1.PhaseFail} {
		c := metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: cond.Reason, ObservedGeneration: generation, LastTransitionTime: now}
		if on {
			c.Status, c.Message = metav1.ConditionTrue, cond.Message
		}
		meta.SetStatusCondition(&st.Conditions, c)
	}
	return st
}
