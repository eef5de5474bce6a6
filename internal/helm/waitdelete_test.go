package helm

import (
	"bytes"
	"context"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// countingWaiter counts the deletion waits that reach Helm's waiter.
type countingWaiter struct {
	kube.Waiter
	deletes int
}

func (c *countingWaiter) WaitForDelete(resources kube.ResourceList, timeout time.Duration) error {
	c.deletes++
	return c.Waiter.WaitForDelete(resources, timeout)
}

// TestAbsentFirst: a wait for objects that are already gone returns
// without Helm's watcher; a wait for an object that still exists is left
// to it, and ends once the object is deleted.
func TestAbsentFirst(t *testing.T) {
	e := start(t, Options{})
	cfg, err := e.client.configuration("default")
	if err != nil {
		t.Fatal(err)
	}
	af, ok := cfg.KubeClient.(*absentFirst)
	if !ok {
		t.Fatalf("the action's kube client is %T, want *absentFirst", cfg.KubeClient)
	}
	helmWaiter, err := af.Interface.(kube.InterfaceWaitOptions).GetWaiterWithOptions(kube.StatusWatcherStrategy)
	if err != nil {
		t.Fatal(err)
	}
	inner := &countingWaiter{Waiter: helmWaiter}
	w := absentWaiter{Waiter: inner, meta: af.meta}
	build := func(name string) kube.ResourceList {
		list, err := cfg.KubeClient.Build(bytes.NewBufferString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+name+"\n  namespace: default\n"), false)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if err := w.WaitForDelete(build("never-made"), time.Minute); err != nil || inner.deletes != 0 {
		t.Errorf("waiting for an absent object: %v, %d waits reached Helm's watcher, want 0", err, inner.deletes)
	}
	ctx := context.Background()
	if _, err := e.kube.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "still-here"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = e.kube.CoreV1().ConfigMaps("default").Delete(ctx, "still-here", metav1.DeleteOptions{})
	}()
	if err := w.WaitForDelete(build("still-here"), time.Minute); err != nil || inner.deletes != 1 {
		t.Errorf("waiting for an existing object: %v, %d waits reached Helm's watcher, want 1", err, inner.deletes)
	}
	if _, err := e.kube.CoreV1().ConfigMaps("default").Get(ctx, "still-here", metav1.GetOptions{}); err == nil {
		t.Error("the wait returned while the object still exists")
	}
}
