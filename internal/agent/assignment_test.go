package agent

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// commonAt returns `common` at generation gen with one component whose env
// is env, Progressive when p.
func commonAt(gen int64, p bool, env string) *hotplugv1.Hotplug {
	hp := &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Generation: gen,
			Annotations: map[string]string{hotplugv1.SyncAnnotation: "true", hotplugv1.StatusByAnnotation: "hub"}},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled, Env: env}}},
	}
	if p {
		hp.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	}
	return hp
}

// TestCommonFor: the pivot runs common itself unless it is Progressive;
// then the assigned revision, else the one it last ran (never common's
// newer spec), else nothing (releases left alone).
func TestCommonFor(t *testing.T) {
	assigned := &rollout.AssignmentRead{Revision: &rollout.Revision{Number: 5, Spec: commonAt(5, true, "level: assigned\n").Spec}}
	missing := &rollout.AssignmentRead{Detail: "no assignment yet"}
	lastAll := commonAt(4, false, "level: before\n")
	lastAssigned := rollout.AtRevision(commonAt(9, true, ""), commonAt(3, true, "level: three\n").Spec, 3)
	cases := []struct {
		name    string
		common  *hotplugv1.Hotplug
		asg     *rollout.AssignmentRead
		last    *hotplugv1.Hotplug
		wantEnv string // "" means no common to run
		wantRev int64
		why     bool
	}{
		{"no common", nil, nil, lastAll, "", 0, false},
		{"not Progressive: common itself", commonAt(6, false, "level: six\n"), nil, lastAssigned, "level: six\n", 6, false},
		{"Progressive, assigned", commonAt(9, true, "level: nine\n"), assigned, lastAll, "level: assigned\n", 5, false},
		{"Progressive, missing: the previous common", commonAt(9, true, "level: nine\n"), missing, lastAll, "level: before\n", 4, true},
		{"Progressive, missing: the previous assignment", commonAt(9, true, "level: nine\n"), missing, lastAssigned, "level: three\n", 3, true},
		{"Progressive, not read: the previous one", commonAt(9, true, "level: nine\n"), nil, lastAll, "level: before\n", 4, true},
		{"Progressive, missing, nothing run yet", commonAt(9, true, "level: nine\n"), missing, nil, "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before string
			if c.common != nil {
				before = c.common.Spec.Component[0].Env
			}
			got, why := commonFor(c.common, c.asg, c.last)
			if (why != "") != c.why {
				t.Errorf("why = %q", why)
			}
			if c.wantEnv == "" {
				if got != nil {
					t.Fatalf("common to run = %+v, want none", got.Spec)
				}
				return
			}
			if got == nil {
				t.Fatal("no common to run")
			}
			if env := got.Spec.Component[0].Env; env != c.wantEnv {
				t.Errorf("env %q, want %q", env, c.wantEnv)
			}
			if rev := rollout.RevisionOf(got, false); rev != c.wantRev || got.Generation != c.wantRev {
				t.Errorf("revision %d (generation %d), want %d", rev, got.Generation, c.wantRev)
			}
			if got.Annotations[hotplugv1.StatusByAnnotation] != "hub" {
				t.Errorf("metadata not common's: %v", got.Annotations)
			}
			if c.common.Spec.Component[0].Env != before {
				t.Error("common itself was changed")
			}
		})
	}
}
