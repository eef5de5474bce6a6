package fleet

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

func TestMatrixAndProblems(t *testing.T) {
	cond := func(s metav1.ConditionStatus) []metav1.Condition {
		return []metav1.Condition{{Type: "Ready", Status: s}}
	}
	clusters := []clusterv1.Cluster{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: clusterv1.ClusterStatus{State: "normal", Components: []hotplugv1.ComponentStatus{
			{Name: "z", Message: "release is running"},                             // no condition: message decides
			{Name: "y", Message: "install in progress", Conditions: cond("False")}, // condition decides
			{Name: "x", Message: "weird", Conditions: cond("True")},
		}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}
	rows := Matrix(clusters)
	var got []string
	for _, r := range rows {
		got = append(got, r.Cluster+"/"+r.Component+"/"+map[bool]string{true: "ready", false: "not"}[r.Ready])
	}
	want := "a/x/ready a/y/not a/z/ready b//not"
	if strings.Join(got, " ") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
	probs := Problems(rows)
	wantProbs := []string{"cluster a: component y is not ready: install in progress", "cluster b is unknown (no state reported)"}
	if strings.Join(probs, "|") != strings.Join(wantProbs, "|") {
		t.Errorf("problems = %q, want %q", probs, wantProbs)
	}
	if p := Problems(Matrix(clusters[:1][:1])); len(p) != 1 {
		t.Errorf("problems of a alone = %q", p)
	}
	if len(Matrix(nil)) != 0 || Matrix(nil) == nil {
		t.Error("Matrix(nil) should be an empty, non-nil list (json [])")
	}
}

func TestApplied(t *testing.T) {
	hp := func(gen int64, comps ...hotplugv1.ComponentStatus) *hotplugv1.Hotplug {
		return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Status: hotplugv1.HotplugStatus{ObservedGeneration: gen, Components: comps}}
	}
	tests := []struct {
		name   string
		hp     *hotplugv1.Hotplug
		enable bool
		want   bool
		why    string
	}{
		{"old generation", hp(2, hotplugv1.ComponentStatus{Name: "c", Message: "release is running"}), true, false, "generation 3"},
		{"running", hp(3, hotplugv1.ComponentStatus{Name: "c", PkgName: "c.tgz", Message: "release is running"}), true, true, "c: release is running"},
		{"still uninstalling", hp(3, hotplugv1.ComponentStatus{Name: "c", PkgName: "c.tgz", Message: "disabled; uninstalling"}), false, false, "uninstalling"},
		{"disabled", hp(4, hotplugv1.ComponentStatus{Name: "c", PkgName: "c.tgz", Message: "disabled"}), false, true, ""},
		{"feature switch on", hp(3, hotplugv1.ComponentStatus{Name: "c", Message: "enabled"}), true, true, ""},
		{"package enabled message is not running", hp(3, hotplugv1.ComponentStatus{Name: "c", PkgName: "c.tgz", Message: "enabled"}), true, false, ""},
		{"missing", hp(3), true, false, "not yet in the status"},
		{"legacy message only", &hotplugv1.Hotplug{Status: hotplugv1.HotplugStatus{ObservedGeneration: 3, Message: `{"c":"release is running"}`}}, true, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := Applied(tc.hp, "c", tc.enable, 3)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Applied = %v, %q; want %v, containing %q", ok, why, tc.want, tc.why)
			}
		})
	}
}

func TestSwitch(t *testing.T) {
	ctx := context.Background()
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "logseer", Namespace: "logseer", PkgName: "l.tgz", Status: "disabled", Env: "a: 1\n"},
	}}}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "c1"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logseer", Status: "disabled"}}}}

	t.Run("conflict is retried on a fresh read", func(t *testing.T) {
		conflicts := 0
		c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithObjects(common.DeepCopy(), own.DeepCopy()).WithInterceptorFuncs(interceptor.Funcs{
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				if conflicts < 2 {
					conflicts++
					return apierrors.NewConflict(hotplugv1.GroupVersion.WithResource("hotplugs").GroupResource(), obj.GetName(), errors.New("changed"))
				}
				return c.Update(ctx, obj, opts...)
			},
		}).Build()
		res, err := Switch(ctx, c, "common", "logseer", "enabled")
		if err != nil || conflicts != 2 || !res.Changed || res.Added || res.Created {
			t.Fatalf("res %+v err %v conflicts %d", res, err, conflicts)
		}
		got := &hotplugv1.Hotplug{}
		_ = c.Get(ctx, client.ObjectKey{Name: "common"}, got)
		if cs := got.Spec.Component[0]; cs.Status != "enabled" || cs.Env != "a: 1\n" || cs.PkgName != "l.tgz" {
			t.Errorf("common's logseer = %+v: only status may change", cs)
		}
		if len(res.Overrides) != 1 || res.Overrides[0] != "c1 (status: disabled)" {
			t.Errorf("overrides = %q", res.Overrides)
		}
	})
	t.Run("no change writes nothing", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithObjects(common.DeepCopy()).WithInterceptorFuncs(interceptor.Funcs{
			Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
				return errors.New("unexpected write")
			},
		}).Build()
		if res, err := Switch(ctx, c, "common", "logseer", "disabled"); err != nil || res.Changed {
			t.Errorf("res %+v err %v", res, err)
		}
	})
	t.Run("own created, then component added", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithObjects(common.DeepCopy()).Build()
		res, err := Switch(ctx, c, "c2", "logseer", "enabled")
		if err != nil || !res.Created {
			t.Fatalf("res %+v err %v", res, err)
		}
		res, err = Switch(ctx, c, "c2", "audit", "disabled")
		if err != nil || !res.Added || res.Created {
			t.Fatalf("res %+v err %v", res, err)
		}
		got := &hotplugv1.Hotplug{}
		_ = c.Get(ctx, client.ObjectKey{Name: "c2"}, got)
		if got.Annotations[hotplugv1.SyncAnnotation] != "true" || len(got.Spec.Component) != 2 ||
			got.Spec.Component[1] != (hotplugv1.ComponentSpec{Name: "audit", Status: "disabled"}) {
			t.Errorf("c2 = %v %+v", got.Annotations, got.Spec.Component)
		}
	})
	t.Run("missing common", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(kube.Scheme).Build()
		_, err := Switch(ctx, c, "common", "logseer", "enabled")
		if !errors.Is(err, ErrNoCommon) || !strings.Contains(err.Error(), "pass --cluster") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad status", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(kube.Scheme).Build()
		if _, err := Switch(ctx, c, "common", "logseer", "on"); err == nil {
			t.Error("status on accepted")
		}
	})
}
