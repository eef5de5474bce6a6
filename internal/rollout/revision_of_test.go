package rollout

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// commonAt returns `common` at generation gen, Progressive when p.
func commonAt(gen int64, p bool) *hotplugv1.Hotplug {
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Generation: gen,
		Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}}}
	if p {
		hp.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	}
	return hp
}

func TestRevisionOf(t *testing.T) {
	mirrored := commonAt(2, false)
	mirrored.Annotations[hotplugv1.SourceGenerationAnnotation] = "17"
	cases := []struct {
		name   string
		common *hotplugv1.Hotplug
		member bool
		want   int64
	}{
		{"none", nil, false, 0},
		{"pivot: generation", commonAt(8, false), false, 8},
		{"pivot: assigned copy", AtRevision(commonAt(8, true), commonAt(3, true).Spec, 3), false, 3},
		{"member: mirror's source generation", mirrored, true, 17},
		{"member: not a mirror says nothing", commonAt(8, false), true, 0},
	}
	for _, c := range cases {
		if got := RevisionOf(c.common, c.member); got != c.want {
			t.Errorf("%s: RevisionOf = %d, want %d", c.name, got, c.want)
		}
	}
}
