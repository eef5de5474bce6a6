package mirror

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
		kind           KindState
		want           Action
		wantKindAsked  bool
	}{
		{"delete, kind served", del, notFound, true, false, KindServed, Delete, true},
		{"delete, kind vanished (CRD terminating)", del, notFound, true, false, KindVanished, Hold, true},
		{"delete, discovery failed", del, notFound, true, false, KindUnknown, Keep, true},
		{"held: absence keeps", del, notFound, true, true, KindServed, Keep, false},
		{"held: confirm keeps", confirm, notFound, true, true, KindServed, Keep, false},
		{"held: source seen again applies", apply, present, true, true, KindServed, Apply, false},
		{"held: unsynced source exists, deletion proceeds", del, unsynced, true, true, KindServed, Delete, true},
		{"404 for the kind on a mirrored source, vanished", Decision{Action: Keep}, unserved, true, false, KindVanished, Hold, true},
		{"404 for the kind, kind served after all", Decision{Action: Keep}, unserved, true, false, KindServed, Keep, true},
		{"404 for the kind, nothing mirrored", Decision{Action: Keep}, unserved, false, false, KindVanished, Keep, false},
		{"first absence", confirm, notFound, true, false, KindVanished, Confirm, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			asked := false
			got := guardKind(c.d, c.obs, c.mirrored, c.held, func() KindState { asked = true; return c.kind })
			if got.Action != c.want || asked != c.wantKindAsked {
				t.Errorf("guardKind = %v (kind asked %v), want %v (%v)", got.Action, asked, c.want, c.wantKindAsked)
			}
		})
	}
}

func TestKindIn(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want KindState
	}{
		{"served", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs","verbs":["create","delete","get","list"]}]}`, KindServed},
		{"terminating", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs","verbs":["delete","deletecollection","get","list","watch"]}]}`, KindVanished},
		{"not listed", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs/status","verbs":["get"]}]}`, KindVanished},
		{"another group version", `{"groupVersion":"v1","resources":[]}`, KindUnknown},
		{"not JSON", `<html>`, KindUnknown},
	}
	for _, c := range cases {
		if got, _ := kindIn([]byte(c.raw)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
