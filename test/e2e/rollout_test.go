package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/cli"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/inprocess"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// Timing of the rollout under test: short, so the test stays short.
const (
	rolloutMinHealthy = 5 * time.Second
	rolloutDeadline   = 20 * time.Second
)

// web's values: a Deployment that runs, one that cannot be scheduled (more
// cpu than any node has) and the fix.
const (
	webGood  = ""
	webBad   = "resources:\n  requests:\n    cpu: \"64\"\n"
	webFixed = "resources:\n  requests:\n    cpu: 100m\n"
)

// clusterSeen is what the test's watcher saw of one cluster on the pivot:
// when it first reported each revision of common, and when first Ready at it.
type clusterSeen struct {
	reported map[int64]time.Time
	healthy  map[int64]time.Time
}

// rolloutFleet is the fleet of TestProgressiveRolloutOfCommon.
type rolloutFleet struct {
	t       *testing.T
	ctx     context.Context
	pivot   *fleetCluster
	members map[string]*fleetCluster // every cluster, the pivot included
	names   []string

	mu   sync.Mutex
	seen map[string]*clusterSeen
}

// watch records, every 200ms until ctx ends, each cluster's reported
// revision of common and its Ready condition.
func (f *rolloutFleet) watch(ctx context.Context) {
	for ctx.Err() == nil {
		// What the answer shows was written before it, at most one poll
		// interval before the request: stamp it with the request's start.
		now := time.Now()
		list := &clusterv1.ClusterList{}
		if err := f.pivot.c.List(ctx, list); err == nil {
			f.mu.Lock()
			for _, c := range list.Items {
				s := f.seen[c.Name]
				if s == nil {
					s = &clusterSeen{reported: map[int64]time.Time{}, healthy: map[int64]time.Time{}}
					f.seen[c.Name] = s
				}
				rev := c.Status.CommonRevision
				if _, ok := s.reported[rev]; !ok {
					s.reported[rev] = now
				}
				if _, ok := s.healthy[rev]; !ok && meta.IsStatusConditionTrue(c.Status.Conditions, hotplugv1.ConditionReady) {
					s.healthy[rev] = now
				}
			}
			f.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (f *rolloutFleet) healthyAt(cluster string, rev int64) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.seen[cluster]; s != nil {
		return s.healthy[rev]
	}
	return time.Time{}
}

// cluster returns a cluster's reported revision of common and Ready.
func (f *rolloutFleet) cluster(name string) (int64, bool, string) {
	f.t.Helper()
	c := &clusterv1.Cluster{}
	if err := f.pivot.c.Get(f.ctx, client.ObjectKey{Name: name}, c); err != nil {
		f.t.Fatal(err)
	}
	cond := meta.FindStatusCondition(c.Status.Conditions, hotplugv1.ConditionReady)
	if cond == nil {
		return c.Status.CommonRevision, false, "no Ready condition"
	}
	return c.Status.CommonRevision, cond.Status == metav1.ConditionTrue, cond.Message
}

// common returns `common` from the pivot.
func (f *rolloutFleet) common() *hotplugv1.Hotplug {
	f.t.Helper()
	return getHotplug(f.t, f.pivot.c, hotplugv1.CommonName)
}

// edit changes common's spec (retried: the hub annotates common) and
// returns the new generation.
func (f *rolloutFleet) edit(change func(*hotplugv1.HotplugSpec)) int64 {
	f.t.Helper()
	var gen int64
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		hp := f.common()
		change(&hp.Spec)
		if err := f.pivot.c.Update(f.ctx, hp); err != nil {
			return err
		}
		gen = hp.Generation
		return nil
	})
	if err != nil {
		f.t.Fatalf("editing common: %v", err)
	}
	return gen
}

func (f *rolloutFleet) setEnv(component, env string) int64 {
	return f.edit(func(s *hotplugv1.HotplugSpec) { s.Component[componentIndex(f.t, s, component)].Env = env })
}

// waitComplete waits until the rollout of target is Complete and every
// cluster reports it, Ready.
func (f *rolloutFleet) waitComplete(what string, target int64, timeout time.Duration) {
	f.t.Helper()
	testenv.Eventually(f.t, timeout, what, func() (bool, string) {
		st := f.common().Status.Rollout
		if st == nil || st.Phase != hotplugv1.RolloutComplete || st.Revision != target {
			return false, fmt.Sprintf("rollout %+v", st)
		}
		for _, n := range f.names {
			if rev, ready, msg := f.cluster(n); rev != target || !ready {
				return false, fmt.Sprintf("%s at revision %d, ready %v: %s", n, rev, ready, msg)
			}
		}
		return true, ""
	})
}

// waitPaused waits until the rollout of target pauses with a failed
// cluster, and returns the rollout status.
func (f *rolloutFleet) waitPaused(target int64) *hotplugv1.RolloutStatus {
	f.t.Helper()
	testenv.Eventually(f.t, rolloutDeadline+2*time.Minute, "the rollout pauses on the canary", func() (bool, string) {
		st := f.common().Status.Rollout
		return st != nil && st.Phase == hotplugv1.RolloutPaused && st.TargetRevision == target && len(st.FailedClusters) > 0, fmt.Sprintf("%+v", st)
	})
	return f.common().Status.Rollout
}

// releases returns "cluster/release=revision" of logagent and web in every
// cluster but skip.
func (f *rolloutFleet) releases(skip string) map[string]int {
	f.t.Helper()
	var clusters []string
	for _, n := range f.names {
		if n != skip {
			clusters = append(clusters, n)
		}
	}
	return f.releasesOf(clusters)
}

// releasesOf returns "cluster/release=revision" of logagent and web in the
// given clusters.
func (f *rolloutFleet) releasesOf(clusters []string) map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for _, n := range clusters {
		for _, rel := range []string{"logagent", "web"} {
			if r := f.members[n].release(f.t, rel, rel); r != nil {
				out[n+"/"+rel] = r.Revision
			}
		}
	}
	return out
}

// upgradedAt returns when the release ns/name of cluster first got values
// for which match holds (Helm's own time of that revision), and the revision.
func (f *rolloutFleet) upgradedAt(cluster, name string, match func(map[string]any) bool) (time.Time, int) {
	f.t.Helper()
	hist, err := f.members[cluster].helm.History(f.ctx, name, name)
	if err != nil {
		f.t.Fatalf("%s: history of %s: %v", cluster, name, err)
	}
	for _, r := range hist {
		if match(r.Values) {
			return r.Since, r.Revision
		}
	}
	return time.Time{}, 0
}

// hotplugCLI runs `hotplug args... --kubeconfig <pivot>` in-process and
// returns its output and exit code (its error goes to the test's log).
func (f *rolloutFleet) hotplugCLI(args ...string) (string, int) {
	f.t.Helper()
	var out bytes.Buffer
	root := cli.NewRoot()
	root.SetArgs(append(args, "--kubeconfig", f.pivot.cl.Kubeconfig))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(f.ctx)
	if err != nil {
		f.t.Logf("hotplug %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), cli.ExitCode(err)
}

// rolloutSetup is a fleet for a progressive rollout of common.
type rolloutSetup struct {
	// names are the clusters, the pivot first; member-1 is the canary.
	names []string
	// components are common's.
	components []hotplugv1.ComponentSpec
	// prepare, if set, runs in each cluster before any agent starts (a
	// pull Secret, say).
	prepare func(*fleetCluster)
	// agentOpts are each cluster's agent options; the cluster name, the
	// pivot identity and the heartbeat are set over them.
	agentOpts func(cluster string) agent.Options
}

// startRolloutFleet starts setup's clusters (workloads run), registers them
// on the pivot (member-1 the canary), runs the hub, creates common rolled
// out progressively (rolloutMinHealthy, rolloutDeadline), and runs an agent
// per cluster, members with their least-privilege identity on the pivot; it
// returns the fleet (watched), the hub's options and a stop of the hub.
func startRolloutFleet(t *testing.T, setup rolloutSetup) (*rolloutFleet, hub.Options, func()) {
	t.Helper()
	names := setup.names
	var opts []controlplane.ClusterOptions
	for _, n := range names {
		opts = append(opts, controlplane.ClusterOptions{Name: n, Workloads: true})
	}
	env := controlplane.StartForTest(t, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	f := &rolloutFleet{t: t, ctx: ctx, members: map[string]*fleetCluster{}, names: names, seen: map[string]*clusterSeen{}}
	for _, cl := range env.Clusters {
		h, err := helm.New(cl.Config, helm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f.members[cl.Name] = &fleetCluster{name: cl.Name, cl: cl, c: newClient(t, cl.Config), helm: h}
		if setup.prepare != nil {
			setup.prepare(f.members[cl.Name])
		}
	}
	f.pivot = f.members["pivot-cluster"]
	pc := f.pivot.c

	// Clusters (member-1 the canary), the hub's namespace, the hub.
	for _, n := range names {
		c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: n}, Spec: clusterv1.ClusterSpec{IsMemberCluster: n != "pivot-cluster"}}
		if n == "member-1" {
			c.Labels = map[string]string{hotplugv1.CanaryLabel: "true"}
		}
		if err := pc.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: rollout.DefaultNamespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	hubOpts, err := inprocess.LoopbackWebhook(hub.Options{HeartbeatTimeout: time.Minute, CheckPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hubOpts.CertDir = t.TempDir()
	stopHub := testenv.StoppableHub(t, f.pivot.cl.Config, hubOpts)

	// common: the components, rolled out progressively.
	common := &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
		Spec: hotplugv1.HotplugSpec{
			Rollout: &hotplugv1.RolloutSpec{
				Strategy:          hotplugv1.RolloutProgressive,
				Canary:            &hotplugv1.CanarySpec{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{hotplugv1.CanaryLabel: "true"}}},
				MinHealthySeconds: int32(rolloutMinHealthy / time.Second),
				ProgressDeadline:  &metav1.Duration{Duration: rolloutDeadline},
			},
			Component: setup.components,
		},
	}
	if err := pc.Create(ctx, common); err != nil {
		t.Fatal(err)
	}

	// Agents: the pivot's reads its assignment locally; members pull theirs
	// with their least-privilege identity.
	pivotOpts := setup.agentOpts("pivot-cluster")
	pivotOpts.ClusterName, pivotOpts.HeartbeatInterval = "pivot-cluster", 2*time.Second
	testenv.RunAgent(t, f.pivot.cl.Config, pivotOpts)
	for _, n := range names[1:] {
		user := "hotplug-agent:" + n
		subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
		role, binding := access.MemberOnPivot(n, subject)
		for _, o := range []client.Object{role, binding, access.RevisionsOnPivot(n, rollout.DefaultNamespace, subject)} {
			if err := pc.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := f.pivot.cl.UserConfig(user)
		if err != nil {
			t.Fatal(err)
		}
		uc := newClient(t, cfg)
		testenv.Eventually(t, 20*time.Second, n+" may read common", func() (bool, string) {
			err := uc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{})
			return err == nil, fmt.Sprint(err)
		})
		memberOpts := setup.agentOpts(n)
		memberOpts.ClusterName, memberOpts.PivotConfig, memberOpts.HeartbeatInterval = n, cfg, 2*time.Second
		a := testenv.RunAgent(t, f.members[n].cl.Config, memberOpts)
		t.Cleanup(func() {
			if got := a.Forbidden(); len(got) > 0 {
				t.Errorf("%s's agent was refused %d request(s) on the pivot: %v", n, len(got), got)
			}
		})
	}
	go f.watch(ctx)
	return f, hubOpts, stopHub
}

// TestProgressiveRolloutOfCommon runs a pivot and three members (four
// kube-apiservers with controller-manager, scheduler and kwok), the hub
// and four agents, the members with their least-privilege identity on the
// pivot and member-1 the canary, through the rollout scenarios of the
// issue: a good edit goes canary first, then one cluster at a time, each
// after the previous one stayed Ready minHealthySeconds (Helm's revision
// times prove it); a bad edit (a Deployment no node can run) reaches the
// canary only, pauses the rollout with the canary and its reason in
// `hotplug rollout status`, and no other cluster's release moves for
// progressDeadline + 60s; `hotplug rollout undo` returns the canary; a
// fixed edit completes everywhere, and with the hub stopped mid-way no
// cluster changes revision until it is back.
func TestProgressiveRolloutOfCommon(t *testing.T) {
	chartDir := t.TempDir()
	testcharts.Package(t, "configmap", chartDir, "logagent", "1.0.0", "logagent-v1.0.0.tgz")
	testcharts.Package(t, "webapp", chartDir, "web", "1.0.0", "web-1.0.0.tgz")
	names := []string{"pivot-cluster", "member-1", "member-2", "member-3"}
	// logagent (ConfigMaps, Ready at once) and web (a Deployment).
	f, hubOpts, stopHub := startRolloutFleet(t, rolloutSetup{names: names,
		components: []hotplugv1.ComponentSpec{
			{Name: "logagent", Namespace: "logagent", PkgName: "logagent-v1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "level: v1\n"},
			{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: webGood},
		},
		agentOpts: func(string) agent.Options { return agent.Options{ChartDir: chartDir} },
	})

	first := f.common().Generation
	f.waitComplete("the first revision runs everywhere", first, 4*time.Minute)

	t.Run("a good edit: canary first, then one cluster at a time after minHealthySeconds", func(t *testing.T) {
		good := f.setEnv("logagent", "level: v2\n")
		f.waitComplete("the good edit completes", good, 3*time.Minute)
		type moved struct {
			cluster string
			at      time.Time
		}
		var order []moved
		for _, n := range names {
			at, _ := f.upgradedAt(n, "logagent", func(v map[string]any) bool { return v["level"] == "v2" })
			if at.IsZero() {
				t.Fatalf("%s has no logagent revision with the edit", n)
			}
			order = append(order, moved{n, at})
		}
		sort.Slice(order, func(i, j int) bool { return order[i].at.Before(order[j].at) })
		for i, m := range order {
			line := fmt.Sprintf("%s upgraded at %s, Ready at the revision at %s", m.cluster, m.at.Format("15:04:05.000"),
				f.healthyAt(m.cluster, good).Format("15:04:05.000"))
			if i > 0 {
				line += fmt.Sprintf(" (+%s after %s was Ready)", m.at.Sub(f.healthyAt(order[i-1].cluster, good)).Round(time.Millisecond), order[i-1].cluster)
			}
			t.Log(line)
		}
		if order[0].cluster != "member-1" {
			t.Errorf("%s upgraded first, not the canary", order[0].cluster)
		}
		// The watcher sees Ready at most one poll after the hub could: allow it.
		const poll = 500 * time.Millisecond
		for i := 1; i < len(order); i++ {
			prev := f.healthyAt(order[i-1].cluster, good)
			if prev.IsZero() || order[i].at.Sub(prev) < rolloutMinHealthy-poll {
				t.Errorf("%s upgraded %s after %s was Ready at the revision (at %s); want at least minHealthySeconds %s",
					order[i].cluster, order[i].at.Sub(prev), order[i-1].cluster, prev.Format("15:04:05.000"), rolloutMinHealthy)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("a bad edit reaches the canary only and pauses; undo returns the canary", func(t *testing.T) {
		before := f.releases("member-1")
		goodRev, _, _ := f.cluster("member-2")
		editAt := time.Now()
		bad := f.setEnv("web", webBad)
		st := f.waitPaused(bad)
		if len(st.FailedClusters) != 1 || st.FailedClusters[0].Name != "member-1" || st.FailedClusters[0].Reason == "" {
			t.Errorf("failed clusters %+v, want the canary member-1 with a reason", st.FailedClusters)
		}
		if rev, _, _ := f.cluster("member-1"); rev != bad {
			t.Errorf("the canary reports revision %d, want the bad %d", rev, bad)
		}
		out, code := f.hotplugCLI("rollout", "status")
		t.Logf("hotplug rollout status (exit %d):\n%s", code, out)
		if code != 1 {
			t.Errorf("hotplug rollout status exit code %d while paused with a failure, want 1", code)
		}
		if !strings.Contains(out, "Paused") || !lineWith(out, "member-1", string(hotplugv1.ClusterRolloutFailed)) {
			t.Errorf("hotplug rollout status does not show the pause and the canary failed")
		}
		out, code = f.hotplugCLI("rollout", "status", "-o", "json")
		var shown hotplugv1.RolloutStatus
		if err := json.Unmarshal([]byte(out), &shown); err != nil || code != 1 {
			t.Fatalf("hotplug rollout status -o json (exit %d): %v\n%s", code, err, out)
		}
		if shown.Phase != hotplugv1.RolloutPaused || len(shown.FailedClusters) != 1 || shown.FailedClusters[0].Name != "member-1" ||
			!strings.Contains(shown.FailedClusters[0].Reason, "web") {
			t.Errorf("hotplug rollout status -o json: phase %s, failed %+v; want Paused, member-1 with web's reason", shown.Phase, shown.FailedClusters)
		}

		// The others keep their releases and revision past the deadline + 60s.
		for time.Since(editAt) < rolloutDeadline+60*time.Second {
			if got := f.releases("member-1"); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Fatalf("%s after the bad edit: releases %v, were %v", time.Since(editAt).Round(time.Second), got, before)
			}
			for _, n := range []string{"pivot-cluster", "member-2", "member-3"} {
				if rev, _, _ := f.cluster(n); rev != goodRev {
					t.Fatalf("%s moved to revision %d %s after the bad edit", n, rev, time.Since(editAt).Round(time.Second))
				}
			}
			time.Sleep(time.Second)
		}
		t.Logf("for %s after the bad edit no other cluster moved: %v", time.Since(editAt).Round(time.Second), before)

		undoAt := time.Now()
		out, code = f.hotplugCLI("rollout", "undo")
		t.Logf("hotplug rollout undo (exit %d):\n%s", code, out)
		if code != 0 {
			t.Fatalf("hotplug rollout undo: exit %d", code)
		}
		undone := f.common().Generation
		if spec := f.common().Spec; spec.Component[componentIndex(t, &spec, "web")].Env != webGood {
			t.Errorf("after undo common's web env is %q, want the last good %q", spec.Component[componentIndex(t, &spec, "web")].Env, webGood)
		}
		f.waitComplete("the undo completes", undone, 2*time.Minute)
		t.Logf("the canary was Ready at the undone revision %d %s after the undo", undone, f.healthyAt("member-1", undone).Sub(undoAt).Round(time.Millisecond))
		rel := f.members["member-1"].release(t, "web", "web")
		if rel == nil || rel.Values["resources"] != nil {
			t.Errorf("the canary's web release after undo: %+v", rel)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("a fixed edit completes everywhere; a stopped hub freezes every cluster", func(t *testing.T) {
		fixed := f.setEnv("web", webFixed)
		testenv.Eventually(t, 2*time.Minute, "the canary runs the fix", func() (bool, string) {
			rev, ready, msg := f.cluster("member-1")
			return rev == fixed && ready, msg
		})
		// Within the canary's minHealthySeconds: no other cluster moved yet.
		stopHub()
		stoppedAt := time.Now()
		revs := map[string]int64{}
		var settled []string // Ready at their revision: no action of their own in flight
		for _, n := range names {
			var ready bool
			revs[n], ready, _ = f.cluster(n)
			if ready {
				settled = append(settled, n)
			}
		}
		frozen := f.releasesOf(settled)
		for time.Since(stoppedAt) < 3*rolloutMinHealthy+5*time.Second {
			if got := f.releasesOf(settled); fmt.Sprint(got) != fmt.Sprint(frozen) {
				t.Fatalf("with the hub stopped: releases %v, were %v", got, frozen)
			}
			for _, n := range names {
				if rev, _, _ := f.cluster(n); rev != revs[n] {
					t.Fatalf("with the hub stopped %s moved from revision %d to %d", n, revs[n], rev)
				}
			}
			time.Sleep(time.Second)
		}
		t.Logf("hub stopped for %s: revisions %v, releases of %v unchanged", time.Since(stoppedAt).Round(time.Second), revs, settled)
		testenv.StoppableHub(t, f.pivot.cl.Config, hubOpts)
		f.waitComplete("the fix completes once the hub is back", fixed, 3*time.Minute)
		for _, n := range names {
			rel := f.members[n].release(t, "web", "web")
			if rel == nil || fmt.Sprint(rel.Values["resources"]) != "map[requests:map[cpu:100m]]" {
				t.Errorf("%s web release: %+v", n, rel)
			}
		}
	})
}

// lineWith reports whether a line of out contains both a and b.
func lineWith(out, a, b string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, a) && strings.Contains(line, b) {
			return true
		}
	}
	return false
}
