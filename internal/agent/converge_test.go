package agent

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// The converge tests run whole reconciles (Reconcile → observe → Plan → act
// → status) against fakes: the Helm calls made, the events said, the
// status written and the requeue asked for.

func enabled(name, ns, pkg string, dependsOn ...string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Namespace: ns, PkgName: pkg, Status: hotplugv1.StatusEnabled, DependsOn: dependsOn}
}

func disabled(name, ns, pkg string, dependsOn ...string) hotplugv1.ComponentSpec {
	c := enabled(name, ns, pkg, dependsOn...)
	c.Status = hotplugv1.StatusDisabled
	return c
}

// managed is a release the agent of c1 made, from the values whose digest
// is digest.
func managed(name, ns, status string, revision int, digest string) *helm.Release {
	return &helm.Release{Name: name, Namespace: ns, Status: status, Revision: revision, Manifest: "kind: ConfigMap\n", Since: time.Now(),
		Labels: map[string]string{LabelManagedBy: ManagedByValue, LabelCluster: testCluster, LabelDigest: digest}}
}

// pendingWeb is web's release, left pending-upgrade age ago.
func pendingWeb(age time.Duration) *helm.Release {
	r := managed("web", "web", "pending-upgrade", 2, "whatever")
	r.Since = time.Now().Add(-age)
	return r
}

func wantCalls(t *testing.T, h *fakeHelm, want ...string) {
	t.Helper()
	if got := h.changes(); !slices.Equal(got, want) {
		t.Errorf("helm calls %q, want %q", got, want)
	}
}

// wantRunning checks the status of a component whose release is deployed
// and ready, and the Hotplug's phase.
func wantRunning(t *testing.T, e *convergeEnv, name string, revision int) {
	t.Helper()
	cs, phase := e.component(name)
	ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	if cs.Message != hotplugv1.MessageRunning || cs.Revision != revision || ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != hotplugv1.ReasonDeployed {
		t.Errorf("status of %s: message %q revision %d Ready %+v; want running at revision %d", name, cs.Message, cs.Revision, ready, revision)
	}
	if phase != hotplugv1.PhaseRunning {
		t.Errorf("phase %q, want %q", phase, hotplugv1.PhaseRunning)
	}
}

// wantWaiting checks the status of a component that waits for others.
func wantWaiting(t *testing.T, e *convergeEnv, name, message string) {
	t.Helper()
	cs, phase := e.component(name)
	ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	reconciling := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReconciling)
	if cs.Message != message || ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != hotplugv1.ReasonDependencyNotReady ||
		reconciling == nil || reconciling.Status != metav1.ConditionTrue {
		t.Errorf("status of %s: message %q Ready %+v Reconciling %+v; want %q, DependencyNotReady", name, cs.Message, ready, reconciling, message)
	}
	if phase != hotplugv1.PhaseProgressing {
		t.Errorf("phase %q, want %q", phase, hotplugv1.PhaseProgressing)
	}
}

func TestConvergeInstalls(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm())
	e.apply(enabled("web", "web", e.chart("web")))
	after := e.reconcile("web")
	wantCalls(t, e.helm, "install web/web")
	wantRunning(t, e, "web", 1)
	if inv := e.inventory(); inv["web"] != "web" {
		t.Errorf("inventory %v, want web in web", inv)
	}
	if got := e.events.reasons(); !slices.Equal(got, []string{"Installed"}) {
		t.Errorf("events %q, want Installed", got)
	}
	// The new release is rolling out: its drift check is put off, briefly.
	if after != progressDriftWait+driftRecheckMargin {
		t.Errorf("requeue after %s, want %s (drift check put off)", after, progressDriftWait+driftRecheckMargin)
	}
	if e.drift.detected != 0 {
		t.Errorf("drift checked %d times during the rollout", e.drift.detected)
	}
}

func TestConvergeUpgrades(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(managed("web", "web", "deployed", 3, "older-values")))
	e.apply(enabled("web", "web", e.chart("web")))
	e.reconcile("web")
	wantCalls(t, e.helm, "upgrade web/web")
	wantRunning(t, e, "web", 4)
	if got := e.events.reasons(); !slices.Equal(got, []string{"Upgraded"}) {
		t.Errorf("events %q, want Upgraded", got)
	}
}

// TestConvergeAdopts: a release someone else installed from the same chart
// and values is adopted as it is: no Helm call, recorded in the inventory.
func TestConvergeAdopts(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm())
	pkgName := e.chart("web")
	pkg, err := chartpkg.NewLoader(e.dir, limits.Default()).Load(pkgName)
	if err != nil {
		t.Fatal(err)
	}
	theirs := &helm.Release{Name: "web", Namespace: "web", Status: "deployed", Revision: 2, Manifest: "kind: ConfigMap\n", Since: time.Now(),
		Labels: map[string]string{}, Digest: pkg.Digest(map[string]any{})}
	e.helm.releases["web/web"] = theirs
	e.apply(enabled("web", "web", pkgName))
	e.reconcile("web")
	wantCalls(t, e.helm)
	wantRunning(t, e, "web", 2)
	if inv := e.inventory(); inv["web"] != "web" {
		t.Errorf("inventory %v, want the adopted release", inv)
	}
}

// TestConvergeRecoversPending: a release left pending longer than the Helm
// timeout is recovered, then brought to the desired values in the same
// reconcile.
func TestConvergeRecoversPending(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(pendingWeb(time.Hour)))
	e.apply(enabled("web", "web", e.chart("web")))
	e.reconcile("web")
	wantCalls(t, e.helm, "recover web/web", "upgrade web/web")
	wantRunning(t, e, "web", 4)
	if got := e.events.reasons(); !slices.Equal(got, []string{"Recovered", "Upgraded"}) {
		t.Errorf("events %q, want Recovered, Upgraded", got)
	}
}

// TestConvergeHoldsPending: a release pending in someone else's hands is
// left alone until it is as old as the Helm timeout.
func TestConvergeHoldsPending(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(pendingWeb(time.Minute)))
	e.apply(enabled("web", "web", e.chart("web")))
	after := e.reconcile("web")
	wantCalls(t, e.helm)
	cs, _ := e.component("web")
	if ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady); ready == nil || ready.Reason != hotplugv1.ReasonReleaseHeld ||
		!strings.Contains(cs.Message, "by another actor") {
		t.Errorf("status of web: %q, Ready %+v; want held", cs.Message, ready)
	}
	if got := e.events.reasons(); !slices.Equal(got, []string{"ReleaseHeld"}) {
		t.Errorf("events %q, want ReleaseHeld", got)
	}
	if want := 4*time.Minute + time.Second; after > want || after < want-5*time.Second {
		t.Errorf("requeue after %s, want about %s (when the hold ends)", after, want)
	}
}

// TestConvergeUninstallOrder: components switched off together are
// uninstalled dependents first; the dependency waits, says why, and goes
// once its dependent is gone.
func TestConvergeUninstallOrder(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(managed("db", "data", "deployed", 1, "d"), managed("web", "web", "deployed", 1, "w")))
	e.apply(disabled("db", "data", e.chart("db")), disabled("web", "web", e.chart("web"), "db"))
	e.reconcile("db")
	wantCalls(t, e.helm)
	wantWaiting(t, e, "db", "waiting for web, which depends on it, to be uninstalled")
	e.reconcile("web")
	e.reconcile("db")
	wantCalls(t, e.helm, "uninstall web/web", "uninstall data/db")
	if got := e.events.reasons(); !slices.Equal(got, []string{hotplugv1.ReasonDependencyNotReady, "Uninstalled", "Uninstalled"}) {
		t.Errorf("events %q", got)
	}
	cs, phase := e.component("db")
	if cs.Message != hotplugv1.StatusDisabled || phase != hotplugv1.PhaseRunning {
		t.Errorf("db after its uninstall: %q, phase %q", cs.Message, phase)
	}
}

// TestConvergeWaitsForDependency: an install waits until what it depends
// on is Ready; the dependency's change wakes it.
func TestConvergeWaitsForDependency(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm())
	e.apply(enabled("db", "data", e.chart("db")), enabled("web", "web", e.chart("web"), "db"))
	e.reconcile("web")
	wantCalls(t, e.helm)
	wantWaiting(t, e, "web", "waiting for db to be Ready")
	e.reconcile("db")
	if woken := drainWakeups(e.r.wake); !slices.Contains(woken, "web") {
		t.Errorf("db's install woke %q, want web", woken)
	}
	e.reconcile("web")
	wantCalls(t, e.helm, "install data/db", "install web/web")
	wantRunning(t, e, "web", 1)
	if got := e.events.reasons(); !slices.Equal(got, []string{hotplugv1.ReasonDependencyNotReady, "Installed", "Installed"}) {
		t.Errorf("events %q", got)
	}
}

// TestConvergeRepairsDrift: drift of a release in sync with Helm is repaired
// without a Helm call, said in an event and in the status; the next check
// comes no sooner than minDriftInterval.
func TestConvergeRepairsDrift(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm())
	e.apply(enabled("web", "web", e.chart("web")))
	e.reconcile("web") // installs; the rollout puts the drift check off
	deleted := drift.Drift{Ref: healthpkg.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "web", Name: "web"}, Kind: drift.Missing}
	e.drift.drifts = []drift.Drift{deleted}
	after := e.reconcile("web")
	wantCalls(t, e.helm, "install web/web")
	if !reflect.DeepEqual(e.drift.repaired, [][]drift.Drift{{deleted}}) {
		t.Errorf("repairs %+v, want the deleted ConfigMap once", e.drift.repaired)
	}
	if got := e.events.reasons(); !slices.Equal(got, []string{"Installed", "DriftRepaired"}) {
		t.Errorf("events %q, want Installed, DriftRepaired", got)
	}
	cs, _ := e.component("web")
	if cs.LastDriftRepair == nil || cs.LastDriftRepair.Message != drift.RepairedMessage([]drift.Drift{deleted}) {
		t.Errorf("lastDriftRepair %+v", cs.LastDriftRepair)
	}
	wantRunning(t, e, "web", 1)
	if after <= minDriftInterval-time.Second || after > minDriftInterval+driftRecheckMargin {
		t.Errorf("requeue after %s, want the next drift check, about %s", after, minDriftInterval)
	}
}

// TestConvergeRetriesFailure: a failed install is recorded (status, event)
// and retried after the backoff.
func TestConvergeRetriesFailure(t *testing.T) {
	h := newFakeHelm()
	h.fail["install web/web"] = errInstall
	e := newConvergeEnv(t, h)
	e.apply(enabled("web", "web", e.chart("web")))
	after := e.reconcile("web")
	wantCalls(t, e.helm, "install web/web")
	cs, phase := e.component("web")
	if ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady); ready == nil || ready.Reason != hotplugv1.ReasonActionFailed ||
		cs.Message != "helm install failed: "+errInstall.Error() || phase != hotplugv1.PhaseFail {
		t.Errorf("status of web: %q, phase %q, Ready %+v", cs.Message, phase, ready)
	}
	if got := e.events.reasons(); !slices.Equal(got, []string{"HelmFailed"}) {
		t.Errorf("events %q, want HelmFailed", got)
	}
	if after != e.r.opts.RetryBase {
		t.Errorf("requeue after %s, want the first backoff %s", after, e.r.opts.RetryBase)
	}
}

var errInstall = errorString("the API server refused the ConfigMap")

type errorString string

func (e errorString) Error() string { return string(e) }
