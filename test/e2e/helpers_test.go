package e2e

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

func getHotplug(t *testing.T, c client.Client, name string) *hotplugv1.Hotplug {
	t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, hp); err != nil {
		t.Fatalf("reading Hotplug %s: %v", name, err)
	}
	return hp
}

// editHotplug changes a Hotplug's spec with f and writes it back, on a
// fresh read after a conflict (the agent writes the status meanwhile), as
// an operator's retried edit would.
func editHotplug(t *testing.T, c client.Client, name string, f func(*hotplugv1.HotplugSpec)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		hp := getHotplug(t, c, name)
		f(&hp.Spec)
		return c.Update(context.Background(), hp)
	})
	if err != nil {
		t.Fatalf("updating Hotplug %s: %v", name, err)
	}
}

// componentIndex returns the index of the named component in spec.
func componentIndex(t *testing.T, spec *hotplugv1.HotplugSpec, name string) int {
	t.Helper()
	for i, c := range spec.Component {
		if c.Name == name {
			return i
		}
	}
	t.Fatalf("component %s not in spec", name)
	return -1
}

// releaseValues reads back the values a configmap-chart release rendered.
func releaseValues(t *testing.T, c client.Client, namespace, name string) (map[string]any, string, bool) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, cm); err != nil {
		return nil, "", false
	}
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(cm.Data["values.yaml"]), &vals); err != nil {
		t.Fatalf("values of %s/%s: %v", namespace, name, err)
	}
	return vals, cm.Data["chartVersion"], true
}

// dig walks nested maps.
func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func newClient(t testing.TB, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func init() {
	// Components that log before a test hands them a logger (client-go
	// reflectors) would otherwise print a warning with a stack trace.
	ctrl.SetLogger(logr.Discard())
}
