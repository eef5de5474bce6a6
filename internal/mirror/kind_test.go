package mirror

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubecube-io/hotplug/internal/kube"
)

func TestGuardKind(t *testing.T) {
	notFound := Classify("common", nil, apierrors.NewNotFound(hotplugs, "common"))
	unserved := Classify("common", nil, apierrors.NewNotFound(schema.GroupResource{}, ""))
	if !unserved.KindUnserved || notFound.KindUnserved {
		t.Fatalf("KindUnserved: unserved %v, notFound %v", unserved.KindUnserved, notFound.KindUnserved)
	}
	present := Observation{Name: "common", Source: SourcePresent}
	unsynced := Observation{Name: "common", Source: SourceUnsynced}
	del, apply, confirm := Decision{Action: Delete}, Decision{Action: Apply}, Decision{Action: Confirm}
	cases := []struct {
		name           string
		d              Decision
		obs            Observation
		mirrored, held bool
		kind           kube.KindState
		want           Action
		wantKindAsked  bool
	}{
		{"delete, kind served", del, notFound, true, false, kube.KindServed, Delete, true},
		{"delete, kind vanished (CRD terminating)", del, notFound, true, false, kube.KindVanished, Hold, true},
		{"delete, discovery failed", del, notFound, true, false, kube.KindUnknown, Keep, true},
		{"held: absence keeps", del, notFound, true, true, kube.KindServed, Keep, false},
		{"held: confirm keeps", confirm, notFound, true, true, kube.KindServed, Keep, false},
		{"held: source seen again applies", apply, present, true, true, kube.KindServed, Apply, false},
		{"held: unsynced source exists, deletion proceeds", del, unsynced, true, true, kube.KindServed, Delete, true},
		{"404 for the kind on a mirrored source, vanished", Decision{Action: Keep}, unserved, true, false, kube.KindVanished, Hold, true},
		{"404 for the kind, kind served after all", Decision{Action: Keep}, unserved, true, false, kube.KindServed, Keep, true},
		{"404 for the kind, nothing mirrored", Decision{Action: Keep}, unserved, false, false, kube.KindVanished, Keep, false},
		{"first absence", confirm, notFound, true, false, kube.KindVanished, Confirm, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			asked := false
			got := guardKind(c.d, c.obs, c.mirrored, c.held, func() kube.KindState { asked = true; return c.kind })
			if got.Action != c.want || asked != c.wantKindAsked {
				t.Errorf("guardKind = %v (kind asked %v), want %v (%v)", got.Action, asked, c.want, c.wantKindAsked)
			}
		})
	}
}
