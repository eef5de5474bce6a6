package fleet

import (
	"context"
	"errors"
	"reflect"
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
			{Name: "z", Message: "release is running"},                             // no condition: not ready, whatever the message
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
	want := "a/x/ready a/y/not a/z/not b//not"
	if strings.Join(got, " ") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
	probs := Problems(rows)
	wantProbs := []string{"cluster a: component y is not ready: install in progress", "cluster a: component z is not ready: release is running", "cluster b is unknown (no state reported)"}
	if strings.Join(probs, "|") != strings.Join(wantProbs, "|") {
		t.Errorf("problems = %q, want %q", probs, wantProbs)
	}
	if p := Problems(Matrix(clusters[:1][:1])); len(p) != 2 {
		t.Errorf("problems of a alone = %q", p)
	}
	if len(Matrix(nil)) != 0 || Matrix(nil) == nil {
		t.Error("Matrix(nil) should be an empty, non-nil list (json [])")
	}
}

func TestApplied(t *testing.T) {
	ready := func(ok bool, reason string, gen int64) []metav1.Condition {
		s := metav1.ConditionFalse
		if ok {
			s = metav1.ConditionTrue
		}
		return []metav1.Condition{{Type: "Ready", Status: s, Reason: reason, ObservedGeneration: gen}}
	}
	cs := func(name, pkg string, enabled bool, msg string, conds []metav1.Condition) hotplugv1.ComponentStatus {
		return hotplugv1.ComponentStatus{Name: name, PkgName: pkg, Enabled: enabled, Message: msg, Conditions: conds}
	}
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
		{"old generation", hp(2, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 2))), true, false, "generation 3"},
		{"running", hp(3, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 3))), true, true, "c: release is running"},
		{"running message without condition is not applied", hp(3, cs("c", "c.tgz", true, "release is running", nil)), true, false, "no Ready condition"},
		{"condition of an older generation", hp(3, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 2))), true, false, "generation 2"},
		{"workloads progressing", hp(3, cs("c", "c.tgz", true, "Deployment c/c: 0/1 available", ready(false, "WorkloadsProgressing", 3))), true, false, "0/1"},
		{"still uninstalling", hp(3, cs("c", "c.tgz", false, "disabled; uninstalling", ready(false, "Progressing", 3))), false, false, "uninstalling"},
		{"disabled", hp(4, cs("c", "c.tgz", false, "disabled", ready(true, "Disabled", 4))), false, true, ""},
		{"disabled is not enabled", hp(3, cs("c", "c.tgz", false, "disabled", ready(true, "Disabled", 3))), true, false, ""},
		{"feature switch on", hp(3, cs("c", "", true, "enabled", ready(true, "FeatureSwitch", 3))), true, true, ""},
		{"feature switch off is not on", hp(3, cs("c", "", false, "disabled", ready(true, "FeatureSwitch", 3))), true, false, ""},
		{"missing", hp(3), true, false, "not yet in the status"},
		{"legacy message only is not applied", &hotplugv1.Hotplug{Status: hotplugv1.HotplugStatus{ObservedGeneration: 3, Message: `{"c":"release is running"}`}}, true, false, "not yet in the status"},
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
			!reflect.DeepEqual(got.Spec.Component[1], hotplugv1.ComponentSpec{Name: "audit", Status: "disabled"}) {
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
