package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestAgentUpgradesUnderHPA: a real HorizontalPodAutoscaler (the
// controller-manager's, writing through /scale as "kube-controller-manager")
// raises a component's Deployment to its minReplicas; a values change is
// then upgraded by the agent: the release is deployed, the new image runs,
// and the Deployment keeps the HPA's replicas. Before, Helm's apply
// conflicted on spec.replicas, the rollback too, and every upgrade of the
// component failed for ever.
func TestAgentUpgradesUnderHPA(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cfg := env.Cluster(cluster).Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	h := runOneComponent(t, cfg, c, cluster, dir, "web", "web-1.0.0.tgz")

	// No metrics server: the HPA raises the replicas to minReplicas and
	// keeps them there.
	const minReplicas = 3
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](minReplicas),
			MaxReplicas:    5,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)},
			}}},
		},
	}
	if err := c.Create(ctx, hpa); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: "web", Name: "web"}
	deployment := func() *appsv1.Deployment {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, key, d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	testenv.Eventually(t, 90*time.Second, "the HPA scales web to its minReplicas", func() (bool, string) {
		d := deployment()
		return *d.Spec.Replicas == minReplicas && ownsReplicas(d, "kube-controller-manager"), fmt.Sprintf("replicas %d", *d.Spec.Replicas)
	})
	before, err := h.Get(ctx, "web", "web")
	if err != nil {
		t.Fatal(err)
	}

	// The agent writes common's status meanwhile: retry on conflict.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		hp := getHotplug(t, c, hotplugv1.CommonName)
		hp.Spec.Component[componentIndex(t, &hp.Spec, "web")].Env = "image:\n  tag: \"1.28.0\"\n"
		return c.Update(ctx, hp)
	}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 90*time.Second, "web upgraded to the new image, deployed", func() (bool, string) {
		rel, err := h.Get(ctx, "web", "web")
		if err != nil {
			return false, err.Error()
		}
		image := deployment().Spec.Template.Spec.Containers[0].Image
		return rel.Revision > before.Revision && rel.Status == "deployed" && image == "nginx:1.28.0",
			fmt.Sprintf("revision %d %s, image %s; Hotplug: %s", rel.Revision, rel.Status, image, getHotplug(t, c, cluster).Status.Message)
	})
	hist, err := h.History(ctx, "web", "web")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		if r.Status == "failed" {
			t.Errorf("revision %d failed", r.Revision)
		}
	}
	if d := deployment(); *d.Spec.Replicas != minReplicas || !ownsReplicas(d, "kube-controller-manager") {
		t.Errorf("after the upgrade web has %d replicas (kube-controller-manager owns them: %v), want the HPA's %d",
			*d.Spec.Replicas, ownsReplicas(d, "kube-controller-manager"), minReplicas)
	}
	testenv.Eventually(t, 60*time.Second, "web runs after the upgrade", func() (bool, string) {
		hp := getHotplug(t, c, cluster)
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Phase + " " + hp.Status.Message
	})
}

// ownsReplicas tells whether manager owns d's spec.replicas.
func ownsReplicas(d *appsv1.Deployment, manager string) bool {
	for _, e := range d.ManagedFields {
		if e.Manager == manager && e.FieldsV1 != nil && strings.Contains(e.FieldsV1.GetRawString(), `"f:replicas"`) && e.Subresource != "status" {
			return true
		}
	}
	return false
}
