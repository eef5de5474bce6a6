package dashboard

import (
	"errors"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

func TestCommonAsRun(t *testing.T) {
	common := &hotplugv1.Hotplug{Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "audit", Env: "replicas: 3\n"}}}}
	common.Name, common.Generation = hotplugv1.CommonName, 5
	old := hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "audit", Env: "replicas: 1\n"}}}
	read := func(n int64) (rollout.Revision, error) {
		if n == 4 {
			return rollout.Revision{Number: 4, Spec: old}, nil
		}
		return rollout.Revision{}, errors.New("Secret hotplug-common-r3 not found")
	}
	cases := []struct {
		name     string
		runs     int64
		wantRev  int64
		wantEnv  string
		wantNote string
	}{
		{"no report yet", 0, 5, "replicas: 3\n", ""},
		{"runs the latest", 5, 5, "replicas: 3\n", ""},
		{"left behind by a rollout", 4, 4, "replicas: 1\n", ""},
		{"its revision is gone", 3, 5, "replicas: 3\n", "runs revision 3 of common, which could not be read"},
	}
	for _, c := range cases {
		got, rev, note := commonAsRun(common, c.runs, read)
		if rev != c.wantRev || got.Spec.Component[0].Env != c.wantEnv || (c.wantNote == "") != (note == "") || !strings.Contains(note, c.wantNote) {
			t.Errorf("%s: revision %d, env %q, note %q; want %d, %q, %q", c.name, rev, got.Spec.Component[0].Env, note, c.wantRev, c.wantEnv, c.wantNote)
		}
	}
	if common.Spec.Component[0].Env != "replicas: 3\n" {
		t.Error("commonAsRun changed its input")
	}
}
