package toggle

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

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

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
