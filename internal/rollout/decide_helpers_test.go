package rollout

import (
	"fmt"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// fleet is a rollout played step by step: common's revisions, the
// clusters' reports and the hub's memory (status and assignments).
type fleet struct {
	t        testing.TB
	now      time.Time
	gen      int64
	specs    map[int64]hotplugv1.HotplugSpec
	rollout  hotplugv1.RolloutSpec
	annots   map[string]string
	clusters map[string]*Cluster
	assigned map[string]Assigned
	prev     *hotplugv1.RolloutStatus
	last     Decision
}

// newFleet has clusters c1..cN (canaries named by canary), all on
// revision 1 with env "v1", already complete.
func newFleet(t testing.TB, n int, canaries ...string) *fleet {
	f := &fleet{t: t, now: t0, specs: map[int64]hotplugv1.HotplugSpec{}, annots: map[string]string{}, clusters: map[string]*Cluster{},
		assigned: map[string]Assigned{},
		rollout: hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive, MinHealthySeconds: 30,
			Canary: &hotplugv1.CanarySpec{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{hotplugv1.CanaryLabel: "true"}}}}}
	for i := 1; i <= n; i++ {
		f.addCluster(fmt.Sprintf("c%d", i))
	}
	for _, c := range canaries {
		f.clusters[c].Labels = map[string]string{hotplugv1.CanaryLabel: "true"}
	}
	f.edit("v1")
	f.step()
	for name := range f.clusters {
		f.report(name, 1, true)
	}
	return f
}

func (f *fleet) addCluster(name string) {
	f.clusters[name] = &Cluster{Name: name}
}

// edit makes a new generation of common whose content is env.
func (f *fleet) edit(env string) {
	f.gen++
	r := f.rollout
	f.specs[f.gen] = hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "mon", Env: env}}, Rollout: &r}
}

// report is cluster name's agent reporting rev with Ready ready (the
// condition changes its transition time only when its status changes).
func (f *fleet) report(name string, rev int64, ready bool) {
	c := f.clusters[name]
	s := metav1.ConditionFalse
	if ready {
		s = metav1.ConditionTrue
	}
	if c.Ready == nil || c.Ready.Status != s {
		c.Ready = &metav1.Condition{Type: "Ready", Status: s, Reason: "Test", Message: "reported by " + name,
			LastTransitionTime: metav1.NewTime(f.now.Truncate(time.Second))}
	}
	if !ready {
		c.Ready.Reason, c.Ready.Message = "ComponentsFailed", "mon: Deployment mon not available"
	}
	c.Revision = rev
}

func (f *fleet) input() Input {
	in := Input{Spec: f.specs[f.gen], Generation: f.gen, Annotations: f.annots, Assignments: map[string]Assigned{},
		Prev: f.prev.DeepCopy(), Now: f.now}
	for _, c := range f.clusters {
		cc := *c
		if c.Ready != nil {
			cc.Ready = c.Ready.DeepCopy()
		}
		in.Clusters = append(in.Clusters, cc)
	}
	for k, v := range f.assigned {
		in.Assignments[k] = v
	}
	if f.prev != nil {
		in.CompleteDigest = ContentDigest(f.specs[f.prev.Revision])
	}
	return in
}

// step decides and applies the decision as the hub would.
func (f *fleet) step() Decision {
	d := Decide(f.input())
	f.last = d
	if d.Assign != nil {
		for name, rev := range d.Assign {
			f.assigned[name] = Assigned{Revision: rev, Digest: ContentDigest(f.specs[rev])}
		}
	}
	f.prev = d.Status
	return d
}

func (f *fleet) advance(d time.Duration) { f.now = f.now.Add(d) }

// after lets d pass, then steps.
func (f *fleet) after(d time.Duration) Decision { f.advance(d); return f.step() }

func (f *fleet) wantState(name string, s hotplugv1.ClusterRolloutState) {
	f.t.Helper()
	f.wantStates(map[string]hotplugv1.ClusterRolloutState{name: s})
}

// state returns cluster name's state and assigned revision.
func (f *fleet) state(name string) (hotplugv1.ClusterRolloutState, int64) {
	for _, c := range f.prev.Clusters {
		if c.Name == name {
			return c.State, c.Revision
		}
	}
	return "", 0
}

// inState lists the clusters in state, sorted.
func (f *fleet) inState(s hotplugv1.ClusterRolloutState) []string {
	var out []string
	for _, c := range f.prev.Clusters {
		if c.State == s {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (f *fleet) wantStates(want map[string]hotplugv1.ClusterRolloutState) {
	f.t.Helper()
	for name, s := range want {
		if got, _ := f.state(name); got != s {
			f.t.Errorf("%s: state %s, want %s (status %+v)", name, got, s, f.prev)
		}
	}
}

func (f *fleet) wantAssigned(want map[string]int64) {
	f.t.Helper()
	for name, rev := range want {
		if got := f.assigned[name].Revision; got != rev {
			f.t.Errorf("%s: assigned %d, want %d", name, got, rev)
		}
	}
}

// healthy reports every cluster assigned the target as running it, Ready.
func (f *fleet) healthy(names ...string) {
	for _, n := range names {
		f.report(n, f.assigned[n].Revision, true)
	}
}

func intOrStr(s string) *intstr.IntOrString { v := intstr.Parse(s); return &v }
