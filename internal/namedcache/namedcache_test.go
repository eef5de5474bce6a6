package namedcache

import (
	"context"
	"errors"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// unreachable is a configuration no request can reach: every case below
// must be decided before one is made.
var unreachable = &rest.Config{Host: "https://127.0.0.1:1"}

var held = []Object{
	{Type: &hotplugv1.Hotplug{}, ObjectKey: client.ObjectKey{Name: "common"}},
	{Type: &hotplugv1.Hotplug{}, ObjectKey: client.ObjectKey{Name: "m1"}},
	{Type: &appsv1.ControllerRevision{}, ObjectKey: client.ObjectKey{Namespace: "ns", Name: "a"}},
}

// options maps both kinds without discovery.
func options() cache.Options {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(hotplugv1.GroupVersion.WithKind("Hotplug"), meta.RESTScopeRoot)
	m.Add(appsv1.SchemeGroupVersion.WithKind("ControllerRevision"), meta.RESTScopeNamespace)
	return cache.Options{Scheme: kube.Scheme, Mapper: m}
}

func newCache(t *testing.T, objs []Object) cache.Cache {
	t.Helper()
	c, err := New(objs, nil)(unreachable, options())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefusesWhatItDoesNotHold: reads and informers of objects not named
// in advance (another name, another namespace, another kind, no name at
// all) and lists fail at once with ErrNotHeld, without a request.
func TestRefusesWhatItDoesNotHold(t *testing.T) {
	c := newCache(t, held)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for name, err := range map[string]error{
		"Get of another name":             c.Get(ctx, client.ObjectKey{Name: "m2"}, &hotplugv1.Hotplug{}),
		"Get in another namespace":        c.Get(ctx, client.ObjectKey{Namespace: "other", Name: "a"}, &appsv1.ControllerRevision{}),
		"Get of another kind":             c.Get(ctx, client.ObjectKey{Name: "common"}, &appsv1.ControllerRevision{}),
		"List":                            c.List(ctx, &hotplugv1.HotplugList{}),
		"RemoveInformer of another name":  c.RemoveInformer(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "m2"}}),
		"GetInformer without a name":      second(c.GetInformer(ctx, &hotplugv1.Hotplug{})),
		"GetInformerForKind":              second(c.GetInformerForKind(ctx, hotplugv1.GroupVersion.WithKind("Hotplug"))),
		"GetInformer of another instance": second(c.GetInformer(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "x"}})),
	} {
		if !errors.Is(err, ErrNotHeld) {
			t.Errorf("%s: %v, want ErrNotHeld", name, err)
		}
	}
	if ctx.Err() != nil {
		t.Error("a refusal waited for the API server")
	}
}

func second[T any](_ T, err error) error { return err }

// TestHeldObjects: each held object has its own informer, created without
// waiting when asked not to block, and not synced against an API server
// that cannot be reached; Synced says so instead of blocking.
func TestHeldObjects(t *testing.T) {
	c := newCache(t, held)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}}
	m1 := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "m1"}}
	a, err := c.GetInformer(ctx, common, cache.BlockUntilSynced(false))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.GetInformer(ctx, m1, cache.BlockUntilSynced(false))
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two held names share one informer")
	}
	if Synced(ctx, c, common) {
		t.Error("an informer that cannot reach its API server says it synced")
	}
	if err := c.IndexField(ctx, &hotplugv1.Hotplug{}, "spec.x", func(client.Object) []string { return nil }); err != nil {
		t.Errorf("IndexField: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
}

// TestNamedTwice: naming an object twice is a configuration error.
func TestNamedTwice(t *testing.T) {
	_, err := New([]Object{held[0], held[0]}, nil)(unreachable, options())
	if err == nil {
		t.Fatal("an object named twice was accepted")
	}
}
