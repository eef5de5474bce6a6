package hub_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/inprocess"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

const (
	ns         = rollout.DefaultNamespace
	minHealthy = 3 * time.Second
	deadline   = 20 * time.Second
)

// member plays a cluster's agent: it reads its assignment and reports the
// revision it holds, Ready unless the content is "bad", and remembers when
// it first saw and first reported each revision healthy.
type member struct {
	name      string
	c         client.Client
	mu        sync.Mutex
	revisions rollout.RevisionReader
	firstSeen map[int64]time.Time
	healthyAt map[int64]time.Time
	last      string
}

func (m *member) run(ctx context.Context, t *testing.T) {
	for ctx.Err() == nil {
		if err := m.sync(ctx); err != nil && ctx.Err() == nil {
			t.Logf("member %s: %v", m.name, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *member) sync(ctx context.Context) error {
	cr := &appsv1.ControllerRevision{}
	name := rollout.AssignmentName(m.name)
	if err := m.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, cr); err != nil {
		return client.IgnoreNotFound(err)
	}
	asg := m.revisions.Resolve(ctx, m.c, ns, rollout.ClassifyAssignment(name, cr, nil))
	if asg.Revision == nil {
		return errors.New(asg.Detail)
	}
	rev := asg.Revision
	ready := !strings.Contains(rev.Spec.Component[0].Env, "bad")
	now := time.Now()
	m.mu.Lock()
	if _, ok := m.firstSeen[rev.Number]; !ok {
		m.firstSeen[rev.Number] = now
	}
	key := strings.Join([]string{strconv.FormatInt(rev.Number, 10), map[bool]string{true: "T", false: "F"}[ready]}, "/")
	same := key == m.last
	m.mu.Unlock()
	if same {
		return nil
	}
	c := &clusterv1.Cluster{}
	if err := m.c.Get(ctx, client.ObjectKey{Name: m.name}, c); err != nil {
		return err
	}
	cond := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonReconciled, Message: "all components ready"}
	if !ready {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, hotplugv1.ReasonFailed, "mon: Deployment mon-web not available"
	}
	c.Status.Conditions = nil
	meta.SetStatusCondition(&c.Status.Conditions, cond)
	c.Status.CommonRevision, c.Status.State, c.Status.HotplugPhase = rev.Number, clusterv1.ClusterNormal, hotplugv1.PhaseRunning
	beat := metav1.Now()
	c.Status.LastHeartbeat = &beat
	if err := m.c.Status().Update(ctx, c); err != nil {
		return err
	}
	m.mu.Lock()
	m.last = key
	if _, ok := m.healthyAt[rev.Number]; !ok && ready {
		m.healthyAt[rev.Number] = time.Now()
	}
	m.mu.Unlock()
	return nil
}

func (m *member) times(rev int64) (seen, healthy time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.firstSeen[rev], m.healthyAt[rev]
}

// startPivot starts a pivot API server for the test and returns its admin
// configuration, a client and a context that ends with the test.
func startPivot(t *testing.T) (*rest.Config, client.Client, context.Context) {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cfg := env.Cluster("pivot-cluster").Config
	c, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return cfg, c, ctx
}

// hubOptions has the hub's webhook on a free loopback port, the same for
// every start of the hub in a test (the webhook configuration keeps it).
func hubOptions(t *testing.T) hub.Options {
	t.Helper()
	opts, err := inprocess.LoopbackWebhook(hub.Options{HeartbeatTimeout: 10 * time.Minute, CheckPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opts.CertDir = t.TempDir()
	return opts
}

type rolloutEnv struct {
	t       *testing.T
	c       client.Client
	members map[string]*member
	ctx     context.Context
}

func (e *rolloutEnv) addCluster(name string, canary bool) {
	e.t.Helper()
	cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: name != "pivot-cluster"}}
	if canary {
		cl.Labels = map[string]string{hotplugv1.CanaryLabel: "true"}
	}
	if err := e.c.Create(e.ctx, cl); err != nil {
		e.t.Fatal(err)
	}
	m := &member{name: name, c: e.c, firstSeen: map[int64]time.Time{}, healthyAt: map[int64]time.Time{}}
	e.members[name] = m
	go m.run(e.ctx, e.t)
}

// edit sets common's component env and returns the new generation.
func (e *rolloutEnv) edit(env string) int64 {
	e.t.Helper()
	return e.update(func(common *hotplugv1.Hotplug) { common.Spec.Component[0].Env = env })
}

// update changes common's spec (retried on conflict: the hub annotates it)
// and returns the new generation.
func (e *rolloutEnv) update(change func(*hotplugv1.Hotplug)) int64 {
	e.t.Helper()
	var gen int64
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		common, err := rollout.GetCommon(e.ctx, e.c)
		if err != nil {
			return err
		}
		change(common)
		if err := e.c.Update(e.ctx, common); err != nil {
			return err
		}
		gen = common.Generation
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return gen
}

func (e *rolloutEnv) status() *hotplugv1.RolloutStatus {
	common, err := rollout.GetCommon(e.ctx, e.c)
	if err != nil || common.Status.Rollout == nil {
		return &hotplugv1.RolloutStatus{}
	}
	return common.Status.Rollout
}

func (e *rolloutEnv) waitPhase(phase hotplugv1.RolloutPhase, target int64, timeout time.Duration) *hotplugv1.RolloutStatus {
	e.t.Helper()
	var st *hotplugv1.RolloutStatus
	testenv.Eventually(e.t, timeout, "rollout "+string(phase), func() (bool, string) {
		st = e.status()
		return st.Phase == phase && st.TargetRevision == target, st.Message
	})
	return st
}

// assignments maps every cluster to its assigned revision and the
// assignment object's resource version.
func (e *rolloutEnv) assignments() map[string]string {
	e.t.Helper()
	list := &appsv1.ControllerRevisionList{}
	if err := e.c.List(e.ctx, list, client.InNamespace(ns), client.MatchingLabels{rollout.RoleLabel: rollout.RoleAssignment}); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, cr := range list.Items {
		out[cr.Labels[rollout.ClusterLabel]] = strconv.FormatInt(cr.Revision, 10) + "@" + cr.ResourceVersion
	}
	return out
}

func (e *rolloutEnv) assigned(name string) int64 {
	cr := &appsv1.ControllerRevision{}
	if err := e.c.Get(e.ctx, client.ObjectKey{Namespace: ns, Name: rollout.AssignmentName(name)}, cr); err != nil {
		return 0
	}
	return cr.Revision
}

// TestProgressiveRollout plays a pivot and three members (member-1 the
// canary) against a real API server and the hub: a good edit goes canary
// first, then one cluster at a time after each stayed healthy
// minHealthySeconds; a bad edit stops at the canary past the deadline;
// undo returns the canary at once; a new cluster gets the complete
// revision; a stopped hub freezes every assignment until it is back.
func TestProgressiveRollout(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	e := &rolloutEnv{t: t, c: c, members: map[string]*member{}, ctx: ctx}
	hubOpts := hubOptions(t)
	stopHub := testenv.StoppableHub(t, cfg, hubOpts)
	for _, name := range []string{"pivot-cluster", "member-1", "member-2", "member-3"} {
		e.addCluster(name, name == "member-1")
	}
	common := canaryCommon(minHealthy, deadline)
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}

	// Bootstrap: generation 1 is complete at once.
	st := e.waitPhase(hotplugv1.RolloutComplete, 1, time.Minute)
	if st.Revision != 1 || len(st.UpdatedClusters) != 4 {
		t.Fatalf("bootstrap: %+v", st)
	}

	// A good edit: canary first, then one at a time in name order, each
	// after the previous one stayed healthy minHealthySeconds.
	good := e.edit("level: v2")
	st = e.waitPhase(hotplugv1.RolloutComplete, good, 2*time.Minute)
	order := []string{"member-1", "member-2", "member-3", "pivot-cluster"}
	for i := 1; i < len(order); i++ {
		_, prevHealthy := e.members[order[i-1]].times(good)
		seen, _ := e.members[order[i]].times(good)
		t.Logf("%s healthy at %s, %s moved at %s (+%s)", order[i-1], prevHealthy.Format("15:04:05.000"), order[i],
			seen.Format("15:04:05.000"), seen.Sub(prevHealthy).Round(time.Millisecond))
		if prevHealthy.IsZero() || seen.Sub(prevHealthy) < minHealthy {
			t.Errorf("%s moved %s after %s was healthy; want at least %s", order[i], seen.Sub(prevHealthy), order[i-1], minHealthy)
		}
	}
	if st.Revision != good || meta.IsStatusConditionFalse(mustCommon(t, e).Status.Conditions, hotplugv1.ConditionRolloutComplete) {
		t.Errorf("complete: %+v", st)
	}

	// A bad edit stops at the canary; the others keep their assignment past
	// the deadline.
	bad := e.edit("level: bad")
	st = e.waitPhase(hotplugv1.RolloutPaused, bad, deadline+time.Minute)
	if len(st.FailedClusters) != 1 || st.FailedClusters[0].Name != "member-1" ||
		!strings.Contains(st.FailedClusters[0].Reason, "Deployment mon-web not available") {
		t.Fatalf("paused: %+v", st)
	}
	frozen := e.assignments()
	time.Sleep(deadline / 2)
	if got := e.assignments(); !maps.Equal(got, frozen) {
		t.Errorf("assignments changed while paused: %v -> %v", frozen, got)
	}
	for _, n := range []string{"member-2", "member-3", "pivot-cluster"} {
		if e.assigned(n) != good {
			t.Errorf("%s assigned %d while paused, want %d", n, e.assigned(n), good)
		}
	}

	// Undo returns the canary at once.
	restored, undone, err := rollout.Undo(ctx, c, ns)
	if err != nil || restored != good {
		t.Fatalf("undo: restored %d, %v", restored, err)
	}
	undoAt := time.Now()
	if st = e.waitPhase(hotplugv1.RolloutComplete, undone, time.Minute); len(st.UpdatedClusters) != 4 {
		t.Errorf("after undo: %+v", st)
	}
	if seen, _ := e.members["member-1"].times(undone); seen.Sub(undoAt) > 10*time.Second {
		t.Errorf("the canary moved back %s after undo", seen.Sub(undoAt))
	}
	if _, _, err := rollout.Undo(ctx, c, ns); err == nil || !strings.Contains(err.Error(), "nothing to undo") {
		t.Errorf("undo of a complete rollout: %v", err)
	}

	// A new rollout: a cluster registered meanwhile gets the complete
	// revision; the hub stopped mid-rollout freezes every assignment.
	next := e.edit("level: v5")
	testenv.Eventually(t, time.Minute, "canary updated", func() (bool, string) {
		st := e.status()
		return len(st.UpdatedClusters) == 1 && e.assigned("member-2") == next, st.Message
	})
	e.addCluster("member-4", false)
	testenv.Eventually(t, 30*time.Second, "member-4 assigned", func() (bool, string) {
		return e.assigned("member-4") == undone, ""
	})
	stopHub()
	frozen = e.assignments()
	time.Sleep(3 * minHealthy)
	if got := e.assignments(); !maps.Equal(got, frozen) {
		t.Errorf("assignments changed with the hub stopped: %v -> %v", frozen, got)
	}
	if st := e.status(); st.Phase != hotplugv1.RolloutProgressing || st.TargetRevision != next {
		t.Errorf("status with the hub stopped: %+v", st)
	}
	testenv.StoppableHub(t, cfg, hubOpts)
	st = e.waitPhase(hotplugv1.RolloutComplete, next, 2*time.Minute)
	if len(st.UpdatedClusters) != 5 {
		t.Errorf("after restart: %+v", st)
	}
	seen3, _ := e.members["member-3"].times(next)
	seen4, _ := e.members["member-4"].times(next)
	if !seen4.After(seen3) {
		t.Errorf("member-4 moved at %s, before member-3 at %s", seen4, seen3)
	}
	// History is kept for the complete and the target revisions.
	for _, r := range []int64{next} {
		if _, err := rollout.ReadHistory(ctx, c, ns, r); err != nil {
			t.Errorf("history of %d: %v", r, err)
		}
	}
	// Back to strategy All: no rollout status, assignments untouched.
	frozen = e.assignments()
	e.update(func(common *hotplugv1.Hotplug) { common.Spec.Rollout = nil })
	testenv.Eventually(t, 30*time.Second, "no rollout status", func() (bool, string) {
		common := mustCommon(t, e)
		return common.Status.Rollout == nil && meta.FindStatusCondition(common.Status.Conditions, hotplugv1.ConditionRolloutComplete) == nil, ""
	})
	if got := e.assignments(); !maps.Equal(got, frozen) {
		t.Errorf("assignments changed under strategy All: %v -> %v", frozen, got)
	}
}

func mustCommon(t *testing.T, e *rolloutEnv) *hotplugv1.Hotplug {
	t.Helper()
	common, err := rollout.GetCommon(e.ctx, e.c)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return common
}

// canaryCommon is `common` with one enabled component "mon" and a
// Progressive rollout: canaries by CanaryLabel, then the others, each
// healthy for minHealthy within deadline.
func canaryCommon(minHealthy, deadline time.Duration) *hotplugv1.Hotplug {
	return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: "level: v1"}},
		Rollout: &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive, MinHealthySeconds: int32(minHealthy / time.Second),
			ProgressDeadline: &metav1.Duration{Duration: deadline},
			Canary:           &hotplugv1.CanarySpec{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{hotplugv1.CanaryLabel: "true"}}}},
	}}
}
