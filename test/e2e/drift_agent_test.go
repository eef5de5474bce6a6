package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestDriftRepairByAgent: a running component's Deployment deleted by hand
// comes back, one scaled to 0 by hand (kubectl's field manager) is set
// back, each within 30 s, with an Event and lastDriftRepair in the status,
// and no new Helm revision.
func TestDriftRepairByAgent(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cfg := env.Cluster(cluster).Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	h := runOneComponent(t, cfg, c, cluster, dir, "web", "web-1.0.0.tgz")
	rel, err := h.Get(ctx, "web", "web")
	if err != nil {
		t.Fatal(err)
	}
	revision := rel.Revision

	key := client.ObjectKey{Namespace: "web", Name: "web"}
	dep := &appsv1.Deployment{}
	if err := c.Get(ctx, key, dep); err != nil {
		t.Fatal(err)
	}
	oldUID := dep.UID

	// Deleted by hand: recreated.
	start := time.Now()
	if err := c.Delete(ctx, dep); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the deleted Deployment comes back", func() (bool, string) {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, key, d); err != nil {
			return false, err.Error()
		}
		return d.UID != oldUID, "still the old one"
	})
	t.Logf("deleted Deployment recreated in %v", time.Since(start).Round(100*time.Millisecond))
	testenv.Eventually(t, 30*time.Second, "status and Event tell the repair", func() (bool, string) {
		hp := getHotplug(t, c, cluster)
		var repair *hotplugv1.DriftRepair
		for _, cs := range hp.Status.Components {
			if cs.Name == "web" {
				repair = cs.LastDriftRepair
			}
		}
		if repair == nil || !strings.Contains(repair.Message, "Deployment") {
			return false, "no lastDriftRepair naming the Deployment"
		}
		return hasEvent(t, c, "DriftRepaired", "Deployment"), "no DriftRepaired Event"
	})

	// Scaled to 0 by hand through the scale subresource, as kubectl scale
	// does: set back to the chart's one replica.
	testenv.Eventually(t, 90*time.Second, "web runs again", func() (bool, string) { return runs(c, cluster) })
	start = time.Now()
	d := &appsv1.Deployment{}
	if err := c.Get(ctx, key, d); err != nil {
		t.Fatal(err)
	}
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web"}, Spec: autoscalingv1.ScaleSpec{Replicas: 0}}
	if err := c.SubResource("scale").Update(ctx, d, client.WithSubResourceBody(scale), client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "replicas set back to 1", func() (bool, string) {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, key, d); err != nil {
			return false, err.Error()
		}
		return d.Spec.Replicas != nil && *d.Spec.Replicas == 1, "replicas still 0"
	})
	t.Logf("scale to 0 set back in %v", time.Since(start).Round(100*time.Millisecond))

	rel, err = h.Get(ctx, "web", "web")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Revision != revision {
		t.Errorf("drift repair made Helm revision %d, want it to stay %d", rel.Revision, revision)
	}
}

// hasEvent reports whether an Event with reason names want in its message.
func hasEvent(t *testing.T, c client.Client, reason, want string) bool {
	t.Helper()
	var events corev1.EventList
	if err := c.List(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.Reason == reason && strings.Contains(e.Message, want) {
			return true
		}
	}
	return false
}
