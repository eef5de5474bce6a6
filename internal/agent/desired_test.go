package agent

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func TestEffectiveOncePerGeneration(t *testing.T) {
	r := &Reconciler{opts: Options{ClusterName: "c1"}.withDefaults()}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common", UID: "u1", Generation: 1},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "a", Namespace: "a", PkgName: "a.tgz", Status: hotplugv1.StatusEnabled, Env: "x: 1\n"}}}}
	ctx := context.Background()
	first := r.effective(ctx, common, nil)
	if len(first.Components) != 1 || fmt.Sprint(first.Components[0].Values["x"]) != "1" {
		t.Fatalf("result %+v", first)
	}
	// A status write changes the resourceVersion, not the generation.
	common.ResourceVersion = "2"
	if again := r.effective(ctx, common, nil); &again.Components[0] != &first.Components[0] {
		t.Error("same generation merged again")
	}
	common.Generation, common.Spec.Component[0].Env = 2, "x: 2\n"
	if next := r.effective(ctx, common, nil); fmt.Sprint(next.Components[0].Values["x"]) != "2" {
		t.Errorf("new generation not merged: %v", next.Components[0].Values)
	}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "c1", UID: "u2", Generation: 1},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "a", Env: "x: 3\n"}}}}
	if withOwn := r.effective(ctx, common, own); fmt.Sprint(withOwn.Components[0].Values["x"]) != "3" {
		t.Errorf("own object not merged: %v", withOwn.Components[0].Values)
	}
	// Objects without a generation are never taken from the memo.
	unnumbered := common.DeepCopy()
	unnumbered.Generation, unnumbered.Spec.Component[0].Env = 0, "x: 4\n"
	_ = r.effective(ctx, unnumbered, nil)
	unnumbered.Spec.Component[0].Env = "x: 5\n"
	if got := r.effective(ctx, unnumbered, nil); fmt.Sprint(got.Components[0].Values["x"]) != "5" {
		t.Errorf("generation 0 served from the memo: %v", got.Components[0].Values)
	}
}
