package mirror

import (
	"context"
	"errors"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

var controllerrevisions = schema.GroupResource{Group: "apps", Resource: "controllerrevisions"}

// progressive returns a synced `common` at generation 9 with a rollout
// block (Progressive when p) and one component whose env is env.
func progressive(p bool, env string) *hotplugv1.Hotplug {
	hp := source(hotplugv1.CommonName, true)
	hp.Generation = 9
	hp.Labels = map[string]string{"team": "platform"}
	hp.Annotations[hotplugv1.StatusByAnnotation] = "hub"
	strategy := hotplugv1.RolloutAll
	if p {
		strategy = hotplugv1.RolloutProgressive
	}
	hp.Spec = hotplugv1.HotplugSpec{
		Rollout:   &hotplugv1.RolloutSpec{Strategy: strategy},
		Component: []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled, Env: env}},
	}
	return hp
}

// assignment encodes revision rev of common with env for cluster m1.
func assignment(t *testing.T, rev int64, env string) *appsv1.ControllerRevision {
	t.Helper()
	spec := progressive(true, env).Spec
	cr, err := rollout.Encode(rollout.DefaultNamespace, rollout.AssignmentName("m1"), rollout.RoleAssignment, "m1",
		rollout.Revision{Number: rev, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

// TestDesiredMirror: a Progressive common is mirrored from the cluster's
// assignment (spec and revision) with common's own labels and annotations;
// without a usable assignment the mirror is kept as it is (nil); anything
// else is mirrored as it is, as before rollouts existed.
func TestDesiredMirror(t *testing.T) {
	name := rollout.AssignmentName("m1")
	good := rollout.ClassifyAssignment(name, assignment(t, 7, "level: good\n"), nil)
	missing := rollout.ClassifyAssignment(name, nil, apierrors.NewNotFound(controllerrevisions, name))
	forbiddenRead := rollout.ClassifyAssignment(name, nil, apierrors.NewForbidden(controllerrevisions, name, errors.New("RBAC")))
	bad := assignment(t, 7, "x")
	bad.Data = runtime.RawExtension{Raw: []byte(`{"component": 3}`)}
	undecodable := rollout.ClassifyAssignment(name, bad, nil)
	own := source("m1", true)
	own.Generation = 3
	own.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive} // ignored outside common
	cases := []struct {
		name    string
		obs     Observation
		asg     *rollout.AssignmentRead
		wantEnv string // "" with wantGen "": keep
		wantGen string
	}{
		{"not Progressive: common as it is", Classify("common", progressive(false, "level: edited\n"), nil), &good, "level: edited\n", "9"},
		{"no rollout block: common as it is", Classify("common", source("common", true), nil), nil, "", "0"},
		{"Progressive with an assignment: the assigned revision", Classify("common", progressive(true, "level: edited\n"), nil), &good, "level: good\n", "7"},
		{"Progressive, assignment not read", Classify("common", progressive(true, "level: edited\n"), nil), nil, "", ""},
		{"Progressive, not assigned yet: keep", Classify("common", progressive(true, "level: edited\n"), nil), &missing, "", ""},
		{"Progressive, forbidden: keep", Classify("common", progressive(true, "level: edited\n"), nil), &forbiddenRead, "", ""},
		{"Progressive, undecodable: keep", Classify("common", progressive(true, "level: edited\n"), nil), &undecodable, "", ""},
		{"own Hotplug is never assigned", Classify("m1", own, nil), &good, "", "3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := desiredMirror(c.obs, c.asg)
			if c.wantGen == "" {
				if got != nil || why == "" {
					t.Fatalf("desiredMirror = %+v, %q; want the mirror kept with a reason", got, why)
				}
				return
			}
			if got == nil {
				t.Fatalf("desiredMirror kept the mirror: %s", why)
			}
			if g := got.Annotations[hotplugv1.SourceGenerationAnnotation]; g != c.wantGen {
				t.Errorf("source generation %q, want %q", g, c.wantGen)
			}
			if env := ""; len(got.Spec.Component) > 0 {
				env = got.Spec.Component[0].Env
				if env != c.wantEnv {
					t.Errorf("env %q, want %q", env, c.wantEnv)
				}
			}
			src := c.obs.Object
			if got.Labels[hotplugv1.MirrorLabel] != "true" || got.Annotations[hotplugv1.SyncAnnotation] != "true" || got.Annotations[hotplugv1.StatusByAnnotation] != "" {
				t.Errorf("metadata not mirrored from the source: %v %v", got.Labels, got.Annotations)
			}
			if src.Labels["team"] != got.Labels["team"] {
				t.Errorf("label team = %q, source has %q", got.Labels["team"], src.Labels["team"])
			}
		})
	}
}

// TestProgressiveDeletionUnchanged: deleting or unsyncing a Progressive
// common goes through the same confirmation as any source; a missing
// assignment never deletes anything.
func TestProgressiveDeletionUnchanged(t *testing.T) {
	const confirm = 3 * time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	unsynced := progressive(true, "")
	delete(unsynced.Annotations, hotplugv1.SyncAnnotation)
	cases := []struct {
		name   string
		obs    Observation
		goneAt time.Time
		now    time.Time
		want   Decision
	}{
		{"present: apply (the assignment decides the spec)", Classify("common", progressive(true, ""), nil), t0, t0.Add(time.Hour), Decision{Action: Apply}},
		{"unsynced once: confirm", Classify("common", unsynced, nil), time.Time{}, t0, Decision{Action: Confirm, GoneAt: t0}},
		{"unsynced twice: delete", Classify("common", unsynced, nil), t0, t0.Add(confirm), Decision{Action: Delete}},
		{"NotFound twice: delete", Classify("common", nil, notFound), t0, t0.Add(confirm), Decision{Action: Delete}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decideMirror(c.obs, true, c.goneAt, c.now, confirm); got != c.want {
				t.Errorf("decideMirror = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestMirrorFollowsAssignment runs the Mirror against fake API servers:
// once common turns Progressive the mirror follows the assignment, keeps
// exactly what it has while the assignment is missing or forbidden, and
// follows common itself again once it is no longer Progressive.
func TestMirrorFollowsAssignment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.round(0)
	mirrorOf := func() *hotplugv1.Hotplug {
		t.Helper()
		hp := &hotplugv1.Hotplug{}
		if err := f.local.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
			t.Fatal(err)
		}
		return hp
	}
	editCommon := func(p bool, env string) {
		t.Helper()
		hp := &hotplugv1.Hotplug{}
		if err := f.pivot.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
			t.Fatal(err)
		}
		hp.Spec = progressive(p, env).Spec
		if err := f.pivot.Update(ctx, hp); err != nil {
			t.Fatal(err)
		}
	}
	before := mirrorOf()

	// Progressive, not assigned yet: the mirror stays exactly as it is.
	editCommon(true, "level: new\n")
	f.round(time.Hour)
	if got := mirrorOf(); got.ResourceVersion != before.ResourceVersion {
		t.Fatalf("mirror changed without an assignment: %+v", got.Spec)
	}

	// The hub assigns revision 4: the mirror takes its spec and revision.
	if err := f.pivot.Create(ctx, assignment(t, 4, "level: assigned\n")); err != nil {
		t.Fatal(err)
	}
	f.round(time.Second)
	got := mirrorOf()
	if got.Annotations[hotplugv1.SourceGenerationAnnotation] != "4" || got.Spec.Component[0].Env != "level: assigned\n" {
		t.Fatalf("mirror = %v %+v, want revision 4 assigned", got.Annotations, got.Spec)
	}

	// Forbidden, then deleted: kept exactly, and nothing deleted.
	f.failAsg = apierrors.NewForbidden(controllerrevisions, rollout.AssignmentName("m1"), errors.New("RBAC"))
	editCommon(true, "level: newer\n")
	f.round(time.Hour)
	f.failAsg = nil
	if err := f.pivot.Delete(ctx, assignment(t, 4, "")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.round(time.Hour)
	}
	if kept := mirrorOf(); kept.ResourceVersion != got.ResourceVersion {
		t.Fatalf("mirror changed while the assignment was unusable: %v %+v", kept.Annotations, kept.Spec)
	}

	// No longer Progressive: common itself again.
	editCommon(false, "level: all\n")
	f.round(time.Second)
	if got := mirrorOf(); got.Spec.Component[0].Env != "level: all\n" || got.Annotations[hotplugv1.SourceGenerationAnnotation] == "4" {
		t.Fatalf("mirror = %v %+v, want common itself", got.Annotations, got.Spec)
	}
}
