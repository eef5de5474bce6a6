package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// fakeHelm keeps releases in memory and records every call that changes
// one, as "<action> <namespace>/<name>".
type fakeHelm struct {
	mu       sync.Mutex
	releases map[string]*helm.Release // by namespace/name
	calls    []string
	fail     map[string]error // by call
}

func newFakeHelm(rels ...*helm.Release) *fakeHelm {
	h := &fakeHelm{releases: map[string]*helm.Release{}, fail: map[string]error{}}
	for _, r := range rels {
		h.releases[r.Namespace+"/"+r.Name] = r
	}
	return h
}

func copyRelease(r *helm.Release) *helm.Release {
	c := *r
	c.Labels = maps.Clone(r.Labels)
	return &c
}

func (h *fakeHelm) Get(_ context.Context, namespace, name string) (*helm.Release, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.releases[namespace+"/"+name]
	if !ok {
		return nil, fmt.Errorf("release %s/%s: %w", namespace, name, helm.ErrNotFound)
	}
	return copyRelease(r), nil
}

func (h *fakeHelm) List(_ context.Context, sel labels.Selector) ([]*helm.Release, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*helm.Release
	for _, r := range h.releases {
		if sel.Matches(labels.Set(r.Labels)) {
			out = append(out, copyRelease(r))
		}
	}
	return out, nil
}

// record notes a call and returns the failure set for it, if any.
func (h *fakeHelm) record(action, namespace, name string) error {
	call := action + " " + namespace + "/" + name
	h.calls = append(h.calls, call)
	return h.fail[call]
}

func (h *fakeHelm) Install(_ context.Context, req helm.Request) (*helm.Release, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &helm.Release{Name: req.Name, Namespace: req.Namespace, Revision: 1, Status: "deployed", Chart: req.Name, ChartVersion: "1.0.0",
		Labels: maps.Clone(req.Labels), Manifest: "kind: ConfigMap\n", Since: time.Now()}
	err := h.record("install", req.Namespace, req.Name)
	if err != nil {
		r.Status = "failed"
	}
	h.releases[req.Namespace+"/"+req.Name] = r
	if err != nil {
		return nil, err
	}
	return copyRelease(r), nil
}

func (h *fakeHelm) Upgrade(_ context.Context, req helm.Request) (*helm.Release, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.record("upgrade", req.Namespace, req.Name); err != nil {
		return nil, err
	}
	r := h.releases[req.Namespace+"/"+req.Name]
	r.Revision, r.Status, r.Labels, r.Since = r.Revision+1, "deployed", maps.Clone(req.Labels), time.Now()
	return copyRelease(r), nil
}

func (h *fakeHelm) Uninstall(_ context.Context, namespace, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.record("uninstall", namespace, name); err != nil {
		return err
	}
	delete(h.releases, namespace+"/"+name)
	return nil
}

// Recover rolls a pending release back to a deployed revision made from
// other values than any the tests desire.
func (h *fakeHelm) Recover(_ context.Context, namespace, name string) (*helm.Release, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.record("recover", namespace, name); err != nil {
		return nil, err
	}
	r := h.releases[namespace+"/"+name]
	r.Revision, r.Status, r.Since = r.Revision+1, "deployed", time.Now()
	r.Labels[LabelDigest] = "rolled-back"
	return copyRelease(r), nil
}

func (h *fakeHelm) changes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// fakeDetector reports the drift it is given and records repairs.
type fakeDetector struct {
	mu       sync.Mutex
	drifts   []drift.Drift
	detected int
	repaired [][]drift.Drift
}

func (d *fakeDetector) Detect(context.Context, drift.Release) ([]drift.Drift, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.detected++
	return slices.Clone(d.drifts), nil
}

func (d *fakeDetector) Repair(_ context.Context, _ drift.Release, ds []drift.Drift) ([]healthpkg.ObjectRef, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.repaired = append(d.repaired, ds)
	d.drifts = nil
	refs := make([]healthpkg.ObjectRef, 0, len(ds))
	for _, x := range ds {
		refs = append(refs, x.Ref)
	}
	return refs, nil
}

// readyChecker finds every release's objects Current.
type readyChecker struct{}

func (readyChecker) Check(context.Context, string, string) ([]healthpkg.ObjectHealth, error) {
	return []healthpkg.ObjectHealth{{Status: status.CurrentStatus}}, nil
}

// eventLog records events as "<reason>: <note>".
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (e *eventLog) Eventf(_ runtime.Object, _ runtime.Object, _, reason, _, note string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, reason+": "+fmt.Sprintf(note, args...))
}

func (e *eventLog) AnnotatedEventf(regarding, related runtime.Object, _ map[string]string, eventtype, reason, action, note string, args ...any) {
	e.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

func (e *eventLog) reasons() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.events))
	for _, ev := range e.events {
		out = append(out, ev[:strings.Index(ev, ":")])
	}
	return out
}

// convergeEnv is one agent of cluster c1 on the controller-runtime fake
// client, with fakeHelm, a fake drift detector, objects always ready and a
// chart package per component.
type convergeEnv struct {
	t      *testing.T
	r      *Reconciler
	c      client.Client
	helm   *fakeHelm
	drift  *fakeDetector
	events *eventLog
	dir    string
}

const testCluster = "c1"

func newConvergeEnv(t *testing.T, h *fakeHelm) *convergeEnv {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithStatusSubresource(&hotplugv1.Hotplug{}).Build()
	opts := Options{ClusterName: testCluster, ChartDir: t.TempDir(), Resync: 10 * time.Minute}.withDefaults()
	outs, secrets, wake := newOutcomes(), newSecrets(), newWakeups()
	det := &fakeDetector{}
	log := testr.New(t)
	r := &Reconciler{
		client: c, reader: c, helm: h, opts: opts, outs: outs, wake: wake, secrets: secrets,
		inv:     newInventory(c, c, h, opts.Namespace, opts.ClusterName, log, wake.seed),
		status:  &statusWriter{c: c, outs: outs, opts: opts, secrets: secrets},
		fetch:   newFetcher(opts, c, outs),
		checker: readyChecker{},
		drift:   newDriftKeeper(det, drift.TrackerOptions{}),
	}
	ev := &eventLog{}
	r.recorder = ev
	return &convergeEnv{t: t, r: r, c: c, helm: h, drift: det, events: ev, dir: opts.ChartDir}
}

// chart writes a package for component name and returns its file name.
func (e *convergeEnv) chart(name string) string {
	return testcharts.Template(e.t, e.dir, name, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+name+"\n")
}

// apply creates or replaces `common` with comps, and the cluster's own
// Hotplug (empty) when missing.
func (e *convergeEnv) apply(comps ...hotplugv1.ComponentSpec) {
	e.t.Helper()
	ctx := context.Background()
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: testCluster}}
	if err := e.c.Create(ctx, own); client.IgnoreAlreadyExists(err) != nil {
		e.t.Fatal(err)
	}
	common := &hotplugv1.Hotplug{}
	err := e.c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common)
	common.Name, common.Spec.Component = hotplugv1.CommonName, comps
	if err == nil {
		err = e.c.Update(ctx, common)
	} else {
		err = e.c.Create(ctx, common)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// reconcile runs one reconcile of component name and returns its requeue.
func (e *convergeEnv) reconcile(name string) time.Duration {
	e.t.Helper()
	ctx := ctrl.LoggerInto(context.Background(), testr.New(e.t))
	res, err := e.r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: name}})
	if err != nil {
		e.t.Fatalf("reconcile %s: %v", name, err)
	}
	return res.RequeueAfter
}

// component returns the status the agent wrote for name on the cluster's
// own Hotplug, and the Hotplug's phase.
func (e *convergeEnv) component(name string) (hotplugv1.ComponentStatus, string) {
	e.t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Name: testCluster}, hp); err != nil {
		e.t.Fatal(err)
	}
	for _, cs := range hp.Status.Components {
		if cs.Name == name {
			return cs, hp.Status.Phase
		}
	}
	e.t.Fatalf("no status for component %s in %+v", name, hp.Status.Components)
	return hotplugv1.ComponentStatus{}, ""
}

// inventory returns the inventory ConfigMap's entries.
func (e *convergeEnv) inventory() map[string]string {
	e.t.Helper()
	cm := &corev1.ConfigMap{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.r.opts.Namespace, Name: InventoryConfigMap}, cm); err != nil {
		e.t.Fatal(err)
	}
	return cm.Data
}
