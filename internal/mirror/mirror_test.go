package mirror

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// fixture is a Mirror between two fake API servers, with a pivot whose
// GETs can be made to fail and a clock the test moves.
type fixture struct {
	t       *testing.T
	m       *Mirror
	pivot   client.WithWatch
	local   client.Client
	fail    error // returned by every GET on the pivot while set
	failAsg error // returned by GETs of ControllerRevisions while set
	clock   time.Time
	changes int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	common := &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: "common", Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
		Spec:       hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled}}},
	}
	own := &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: "m1", Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
		Spec:       hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logseer", Status: hotplugv1.StatusEnabled}}},
	}
	f.pivot = fake.NewClientBuilder().WithScheme(kube.Scheme).WithObjects(common, own).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				if f.fail != nil {
					return f.fail
				}
				if _, ok := obj.(*appsv1.ControllerRevision); ok && f.failAsg != nil {
					return f.failAsg
				}
				return c.Get(ctx, key, obj, opts...)
			},
		}).Build()
	f.local = fake.NewClientBuilder().WithScheme(kube.Scheme).Build()
	f.m = newMirror("m1", f.pivot, f.local, testr.New(t), func() { f.changes++ })
	f.m.now = func() time.Time { return f.clock }
	return f
}

// round advances the clock by d and runs one read of both sources.
func (f *fixture) round(d time.Duration) {
	f.clock = f.clock.Add(d)
	f.m.check(context.Background(), true)
}

// mirrors returns the names of the local mirrors.
func (f *fixture) mirrors() map[string]bool {
	f.t.Helper()
	list := &hotplugv1.HotplugList{}
	if err := f.local.List(context.Background(), list); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, hp := range list.Items {
		out[hp.Name] = hp.Labels[hotplugv1.MirrorLabel] == "true"
	}
	return out
}

func (f *fixture) wantMirrors(what string, names ...string) {
	f.t.Helper()
	got := f.mirrors()
	if len(got) != len(names) {
		f.t.Fatalf("%s: mirrors %v, want %v", what, got, names)
	}
	for _, n := range names {
		if !got[n] {
			f.t.Fatalf("%s: mirrors %v, want %v", what, got, names)
		}
	}
}

func (f *fixture) wantState(what string, connected bool, reason string) {
	f.t.Helper()
	c := f.m.State()
	if c.Connected != connected || c.Reason != reason {
		f.t.Fatalf("%s: connection %+v, want connected=%v reason=%s", what, c, connected, reason)
	}
	ok, msg := f.m.Connected()
	if ok != connected || msg != c.Message {
		f.t.Fatalf("%s: Connected() = %v %q, State %+v", what, ok, msg, c)
	}
}

// TestFailedReadsKeepMirrors: Forbidden, Unauthorized, no answer and
// untrusted answers keep both mirrors however long they last, and the
// connection says which; reads that succeed again reconnect and mirror the
// changes made meanwhile.
func TestFailedReadsKeepMirrors(t *testing.T) {
	f := newFixture(t)
	f.round(0)
	f.wantMirrors("first read", "common", "m1")
	f.wantState("first read", true, ReasonReachable)

	for _, c := range []struct {
		err    error
		reason string
	}{
		{forbidden, ReasonForbidden},
		{unauthorized, ReasonUnauthorized},
		{refused, ReasonUnreachable},
		{errTimeout, ReasonUnreachable},
		{resourceNotServed, ReasonUntrusted},
		{proxy404, ReasonUntrusted},
	} {
		f.fail = c.err
		before := f.changes
		for range 5 {
			f.round(time.Hour)
		}
		f.wantMirrors(c.reason, "common", "m1")
		f.wantState(c.reason, false, c.reason)
		if f.changes > before+1 {
			t.Errorf("%s: %d change notifications for one state change", c.reason, f.changes-before)
		}
	}

	// The pivot changed common meanwhile; a good read mirrors it.
	f.fail = nil
	hp := &hotplugv1.Hotplug{}
	if err := f.pivot.Get(context.Background(), client.ObjectKey{Name: "common"}, hp); err != nil {
		t.Fatal(err)
	}
	hp.Spec.Component[0].Env = "level: debug\n"
	if err := f.pivot.Update(context.Background(), hp); err != nil {
		t.Fatal(err)
	}
	before := f.changes
	f.round(time.Second)
	f.wantState("after recovery", true, ReasonReachable)
	if f.changes <= before {
		t.Error("recovery was not notified")
	}
	got := &hotplugv1.Hotplug{}
	if err := f.local.Get(context.Background(), client.ObjectKey{Name: "common"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Component[0].Env != "level: debug\n" {
		t.Errorf("mirror not updated after recovery: %+v", got.Spec)
	}
}

// TestObservedDeletionRemovesMirror: a source really deleted is removed
// after two NotFound reads at least ConfirmDelay apart, not before; a
// failed read between them restarts the confirmation.
func TestObservedDeletionRemovesMirror(t *testing.T) {
	f := newFixture(t)
	f.round(0)
	ctx := context.Background()
	if err := f.pivot.Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}}); err != nil {
		t.Fatal(err)
	}
	f.round(time.Second)
	f.wantMirrors("first NotFound", "common", "m1")
	f.round(ConfirmDelay - time.Millisecond)
	f.wantMirrors("second NotFound too soon", "common", "m1")
	f.fail = forbidden
	f.round(time.Hour)
	f.fail = nil
	f.round(time.Hour)
	f.wantMirrors("NotFound after a Forbidden starts over", "common", "m1")
	f.round(ConfirmDelay)
	f.wantMirrors("confirmed deletion", "m1")
	f.wantState("after the deletion", true, ReasonReachable)
}

// TestUnsyncedSourceRemovesMirror: removing the sync annotation is seen
// twice before the mirror goes; putting it back in time keeps the mirror.
func TestUnsyncedSourceRemovesMirror(t *testing.T) {
	f := newFixture(t)
	f.round(0)
	ctx := context.Background()
	setSync := func(v string) {
		hp := &hotplugv1.Hotplug{}
		if err := f.pivot.Get(ctx, client.ObjectKey{Name: "m1"}, hp); err != nil {
			t.Fatal(err)
		}
		hp.Annotations[hotplugv1.SyncAnnotation] = v
		if err := f.pivot.Update(ctx, hp); err != nil {
			t.Fatal(err)
		}
	}
	setSync("false")
	f.round(time.Second)
	setSync("true")
	f.round(time.Hour)
	f.wantMirrors("annotation back in time", "common", "m1")
	setSync("false")
	f.round(time.Second)
	f.wantMirrors("unsynced once", "common", "m1")
	f.round(ConfirmDelay)
	f.wantMirrors("unsynced twice", "common")
}

// TestLocalHotplugNotAMirrorIsKept: a local Hotplug without the mirror label
// is never deleted for a source that is gone.
func TestLocalHotplugNotAMirrorIsKept(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.pivot.Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "m1"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.local.Create(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "m1"}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.round(time.Hour)
	}
	if err := f.local.Get(ctx, client.ObjectKey{Name: "m1"}, &hotplugv1.Hotplug{}); apierrors.IsNotFound(err) {
		t.Fatal("a local Hotplug that is not a mirror was deleted")
	}
}
