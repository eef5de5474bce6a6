package mirror

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// requestLog records the requests a client makes, as "VERB path?query".
type requestLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	q, _ := url.QueryUnescape(r.URL.RawQuery)
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.Path+"?"+q)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// since returns the requests recorded after the first n.
func (l *requestLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs[n:]...)
}

func (l *requestLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// pivotFixture is a member's Mirror running against a real pivot API
// server under the member's own name-scoped grant, mirroring into a second
// real API server.
type pivotFixture struct {
	t            *testing.T
	env          *controlplane.Environment
	ctx          context.Context
	pivot, local client.Client
	binding      *rbacv1.ClusterRoleBinding
	log          *requestLog
	m            *Mirror
}

// newPivotFixture starts both clusters, common, m1 and m2 on the pivot
// (each enabling one component), and m1's Mirror probing every healthy
// while its watches are healthy; everything stops with the test.
func newPivotFixture(t *testing.T, healthy time.Duration) *pivotFixture {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot"}, controlplane.ClusterOptions{Name: "member"})
	ctx, cancel := context.WithCancel(context.Background())
	f := &pivotFixture{t: t, env: env, ctx: ctx, log: &requestLog{}}
	var err error
	if f.pivot, err = client.New(env.Cluster("pivot").Config, client.Options{Scheme: kube.Scheme}); err != nil {
		t.Fatal(err)
	}
	if f.local, err = client.New(env.Cluster("member").Config, client.Options{Scheme: kube.Scheme}); err != nil {
		t.Fatal(err)
	}
	role, binding := access.MemberOnPivot("m1", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "hotplug-member-m1"})
	f.binding = binding
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: rollout.DefaultNamespace}}
	for _, o := range []client.Object{role, binding.DeepCopy(), ns, enabled(hotplugv1.CommonName), enabled("m1"), enabled("m2")} {
		if err := f.pivot.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := env.Cluster("pivot").UserConfig("hotplug-member-m1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { f.log.next = rt; return f.log })
	if f.m, err = New("m1", "", cfg, f.local, testr.New(t), func() {}); err != nil {
		t.Fatal(err)
	}
	f.m.healthy = healthy
	done := make(chan error, 1)
	go func() { done <- f.m.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mirror: %v", err)
		}
	})
	eventually(t, 30*time.Second, "both mirrors, connected, caches synced", func() (bool, string) {
		c := f.m.State()
		synced := cached(ctx, f.m, hotplugv1.CommonName) && cached(ctx, f.m, "m1")
		return f.envOf(hotplugv1.CommonName) == "" && f.envOf("m1") == "" && c.Connected && synced, fmt.Sprintf("%+v synced=%v", c, synced)
	})
	return f
}

// mirrorOf reads the local mirror called name.
func (f *pivotFixture) mirrorOf(name string) (*hotplugv1.Hotplug, error) {
	hp := &hotplugv1.Hotplug{}
	return hp, f.local.Get(f.ctx, client.ObjectKey{Name: name}, hp)
}

// envOf is the env of the first component of the mirror called name, or
// why there is none.
func (f *pivotFixture) envOf(name string) string {
	hp, err := f.mirrorOf(name)
	if err != nil || len(hp.Spec.Component) == 0 {
		return fmt.Sprint(err)
	}
	return hp.Spec.Component[0].Env
}

// edit changes the pivot's Hotplug called name.
func (f *pivotFixture) edit(name string, mutate func(*hotplugv1.Hotplug)) {
	f.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		hp := &hotplugv1.Hotplug{}
		if err := f.pivot.Get(f.ctx, client.ObjectKey{Name: name}, hp); err != nil {
			return err
		}
		mutate(hp)
		return f.pivot.Update(f.ctx, hp)
	}); err != nil {
		f.t.Fatal(err)
	}
}

// TestPivotCacheByName runs a member's mirror against a real pivot API
// server with only the member's own name-scoped grant (a cache of the whole
// kind would be refused) and no probe while healthy, so that every edit
// below reaches the member through the name-scoped watches alone: the
// sources and the assignment are read from the cache, never listed or
// watched without a name, the pivot sees no request at rest, and a deletion
// is still confirmed by reads past the cache.
func TestPivotCacheByName(t *testing.T) {
	f := newPivotFixture(t, time.Hour) // no reads past the cache while healthy
	ctx, pivot, log, m, env := f.ctx, f.pivot, f.log, f.m, f.env
	mirrorOf, envOf, edit := f.mirrorOf, f.envOf, f.edit
	if _, err := mirrorOf("m2"); !apierrors.IsNotFound(err) {
		t.Fatalf("m2 mirrored: %v", err)
	}

	// Edits of both sources arrive through the watches, with no read past
	// the cache.
	mark := log.count()
	start := time.Now()
	edit(hotplugv1.CommonName, func(hp *hotplugv1.Hotplug) { hp.Spec.Component[0].Env = "a: 1\n" })
	edit("m1", func(hp *hotplugv1.Hotplug) { hp.Spec.Component[0].Env = "b: 2\n" })
	eventually(t, 20*time.Second, "edits mirrored", func() (bool, string) {
		return envOf(hotplugv1.CommonName) == "a: 1\n" && envOf("m1") == "b: 2\n", envOf(hotplugv1.CommonName) + "|" + envOf("m1")
	})
	t.Logf("two edits mirrored through the name-scoped watches in %s", time.Since(start).Round(time.Millisecond))
	if reqs := log.since(mark); len(reqs) > 0 {
		t.Errorf("mirroring the edits made %d requests to the pivot, want 0 (the cache serves them): %v", len(reqs), reqs)
	}

	// At rest the pivot sees nothing.
	mark = log.count()
	time.Sleep(3 * time.Second)
	if reqs := log.since(mark); len(reqs) > 0 {
		t.Errorf("at rest the mirror made %d requests to the pivot: %v", len(reqs), reqs)
	}

	// A Progressive common follows the assignment, also through the cache.
	cr := assignment(t, 4, "assigned: 4\n")
	if err := pivot.Create(ctx, cr); err != nil {
		t.Fatal(err)
	}
	edit(hotplugv1.CommonName, func(hp *hotplugv1.Hotplug) {
		hp.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	})
	eventually(t, 20*time.Second, "common mirrored from its assignment", func() (bool, string) {
		return envOf(hotplugv1.CommonName) == "assigned: 4\n", envOf(hotplugv1.CommonName)
	})
	mark = log.count()
	if err := pivot.Delete(ctx, cr); err != nil { // the hub replaces an assignment by delete and create
		t.Fatal(err)
	}
	if err := pivot.Create(ctx, assignment(t, 5, "assigned: 5\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the new assignment mirrored", func() (bool, string) {
		return envOf(hotplugv1.CommonName) == "assigned: 5\n", envOf(hotplugv1.CommonName)
	})
	for _, r := range log.since(mark) {
		// a GET of it, or its informer's list or watch, by name
		if !strings.Contains(r, "/controllerrevisions") || !strings.Contains(r, rollout.AssignmentName("m1")) {
			t.Errorf("following a new assignment read something else than the assignment: %s", r)
		}
	}

	// An assignment that names a revision Secret (as the hub writes them
	// now): the member reads the Secret by name with the generated RBAC,
	// through the Role the hub keeps, and nothing else.
	secret, ref, err := rollout.EncodeSecret(rollout.DefaultNamespace, rollout.Revision{Number: 6, Spec: progressive(true, "assigned: 6\n").Spec})
	if err != nil {
		t.Fatal(err)
	}
	subject := f.binding.Subjects[0]
	for _, o := range []client.Object{secret, access.RevisionReaders(rollout.DefaultNamespace, []string{secret.Name}),
		access.RevisionsOnPivot("m1", rollout.DefaultNamespace, subject)} {
		if err := pivot.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mark = log.count()
	cur := &appsv1.ControllerRevision{}
	if err := pivot.Get(ctx, client.ObjectKey{Namespace: rollout.DefaultNamespace, Name: rollout.AssignmentName("m1")}, cur); err != nil {
		t.Fatal(err)
	}
	if err := pivot.Delete(ctx, cur); err != nil { // an assignment of the older format is replaced
		t.Fatal(err)
	}
	if err := pivot.Create(ctx, rollout.EncodeAssignment(rollout.DefaultNamespace, "m1", ref)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the revision the assignment names mirrored", func() (bool, string) {
		return envOf(hotplugv1.CommonName) == "assigned: 6\n", envOf(hotplugv1.CommonName)
	})
	for _, r := range log.since(mark) {
		if !strings.Contains(r, rollout.AssignmentName("m1")) && !strings.Contains(r, "/secrets/"+secret.Name) {
			t.Errorf("following an assignment that names a Secret read something else: %s", r)
		}
	}

	// Every list and watch the member made was scoped by name.
	for _, r := range log.since(0) {
		path := strings.SplitN(r, "?", 2)[0]
		collection := strings.HasSuffix(path, "/hotplugs") || strings.HasSuffix(path, "/controllerrevisions")
		if collection && !strings.Contains(r, "fieldSelector=metadata.name=") {
			t.Errorf("a list or watch without a name: %s", r)
		}
	}

	// A deletion is confirmed by two reads past the cache, ConfirmDelay
	// apart, before the mirror goes.
	mark = log.count()
	start = time.Now()
	if err := pivot.Delete(ctx, source("m1", true)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "m1's mirror deleted", func() (bool, string) {
		_, err := mirrorOf("m1")
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	if took := time.Since(start); took < ConfirmDelay {
		t.Errorf("mirror deleted after %s, before the confirmation delay %s", took, ConfirmDelay)
	}
	gets := 0
	for _, r := range log.since(mark) {
		if strings.HasPrefix(r, "GET /apis/hotplug.kubecube.io/v1/hotplugs/m1?") {
			gets++
		}
	}
	if gets < 2 {
		t.Errorf("the deletion was confirmed by %d reads of m1 past the cache, want at least 2: %v", gets, log.since(mark))
	}
	if _, err := mirrorOf(hotplugv1.CommonName); err != nil {
		t.Errorf("common's mirror went with m1: %v", err)
	}

	// The pivot goes away: with no probe while healthy, the failed
	// re-watch alone must make the member say so, and keep its mirror.
	stopAt := time.Now()
	if err := env.Cluster("pivot").StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "PivotConnected=False, Unreachable", func() (bool, string) {
		c := m.State()
		return !c.Connected && c.Reason == ReasonUnreachable, fmt.Sprintf("%+v", c)
	})
	t.Logf("the pivot's API server going away was noticed %s after its SIGTERM", time.Since(stopAt).Round(100*time.Millisecond))
	if _, err := mirrorOf(hotplugv1.CommonName); err != nil {
		t.Errorf("common's mirror went while the pivot was away: %v", err)
	}
	startCtx, startCancel := context.WithTimeout(ctx, time.Minute)
	defer startCancel()
	if err := env.Cluster("pivot").StartAPIServer(startCtx); err != nil {
		t.Fatal(err)
	}
	// An edit made as soon as the pivot is back is mirrored although the
	// watches are still in client-go's backoff, and the mirror never steps
	// back to the cache's older copy once they resume.
	edit(hotplugv1.CommonName, func(hp *hotplugv1.Hotplug) {
		hp.Spec.Rollout = nil // followed again, no longer through the assignment
		hp.Spec.Component[0].Env = "after: restart\n"
	})
	backAt := time.Now()
	eventually(t, 30*time.Second, "connected again, the edit mirrored", func() (bool, string) {
		c := m.State()
		return c.Connected && envOf(hotplugv1.CommonName) == "after: restart\n", fmt.Sprintf("%+v %q", c, envOf(hotplugv1.CommonName))
	})
	t.Logf("an edit made as the pivot came back was mirrored in %s", time.Since(backAt).Round(100*time.Millisecond))
	// Rounds prompted meanwhile (by any event) must not take the cache's
	// copy while its watch has not resumed.
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		m.wake()
		if got := envOf(hotplugv1.CommonName); got != "after: restart\n" {
			t.Fatalf("the mirror of common went back to %q after the pivot returned", got)
		}
	}
}

// cached reports whether the mirror's cache has synced and holds the
// Hotplug called name.
func cached(ctx context.Context, m *Mirror, name string) bool {
	return m.fromCache(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// eventually polls cond until it holds or timeout passes (internal/testenv
// cannot be imported here: it imports the agent, which imports this package).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
}

// enabled is a synced source enabling one component with an empty env.
func enabled(name string) *hotplugv1.Hotplug {
	hp := source(name, true)
	hp.Spec.Component = []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled}}
	return hp
}

// TestProbeNotPostponedByEvents: a grant revoked under running watches is
// found by the probe past the cache within its interval even while events
// keep arriving on those watches (common's status changes with every
// roll-up in a real fleet), and edits that still arrive on them are not
// mirrored while the member is refused.
func TestProbeNotPostponedByEvents(t *testing.T) {
	const healthy = 2 * time.Second
	f := newPivotFixture(t, healthy)
	stop := make(chan struct{})
	busy := make(chan struct{})
	go func() { // an event on common every 200 ms
		defer close(busy)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			hp := &hotplugv1.Hotplug{}
			if err := f.pivot.Get(f.ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
				continue
			}
			hp.Labels = map[string]string{"tick": fmt.Sprint(i)}
			hp.Spec.Component[0].Env = fmt.Sprintf("tick: %d\n", i)
			_ = f.pivot.Update(f.ctx, hp)
		}
	}()
	defer func() { close(stop); <-busy }()
	eventually(t, 10*time.Second, "the ticking edits mirrored", func() (bool, string) {
		return strings.HasPrefix(f.envOf(hotplugv1.CommonName), "tick: "), f.envOf(hotplugv1.CommonName)
	})
	start := time.Now()
	if err := f.pivot.Delete(f.ctx, f.binding.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*healthy, "PivotConnected=False, Forbidden, while events keep arriving", func() (bool, string) {
		c := f.m.State()
		return !c.Connected && c.Reason == ReasonForbidden, fmt.Sprintf("%+v", c)
	})
	t.Logf("revocation noticed in %s with an event every 200 ms (probe every %s)", time.Since(start).Round(100*time.Millisecond), healthy)
	frozen := f.envOf(hotplugv1.CommonName)
	time.Sleep(2 * time.Second)
	if got := f.envOf(hotplugv1.CommonName); got != frozen {
		t.Errorf("while refused, the mirror of common followed the old watch: %q, then %q", frozen, got)
	}
}
