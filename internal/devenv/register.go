package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// fieldOwner is the server-side-apply manager of what dev writes.
const fieldOwner = "hotplug-dev"

// apply server-side applies obj, forcing ownership, so a state directory
// reused across runs (objects already in etcd) works like a new one.
func apply(ctx context.Context, c client.Client, obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, kube.Scheme)
	if err != nil {
		return fmt.Errorf("type of %s: %w", obj.GetName(), err)
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("converting %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: raw}
	u.SetGroupVersionKind(gvk)
	// Empty status and creationTimestamp would be applied as fields.
	delete(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return nil
}

// registerClusters creates one Cluster object per cluster on the pivot, as
// KubeCube registers them: API endpoint, kubeconfig and member flag.
func registerClusters(ctx context.Context, pivot client.Client, clusters []*controlplane.Cluster) error {
	for _, cl := range clusters {
		kc, err := os.ReadFile(cl.Kubeconfig)
		if err != nil {
			return fmt.Errorf("reading kubeconfig of %s: %w", cl.Name, err)
		}
		obj := &clusterv1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: cl.Name, Labels: map[string]string{"app.kubernetes.io/managed-by": fieldOwner}},
			Spec: clusterv1.ClusterSpec{
				KubeConfig:            kc,
				KubernetesAPIEndpoint: cl.Host,
				IsMemberCluster:       cl.Name != PivotName,
				IsWritable:            true,
				Description:           "local cluster started by hotplug dev",
			},
		}
		if err := apply(ctx, pivot, obj); err != nil {
			return fmt.Errorf("registering cluster %s: %w", cl.Name, err)
		}
	}
	return nil
}

// memberIdentity gives member's agent a least-privilege user on the pivot
// (access.MemberOnPivot), writes its kubeconfig beside the member's own and
// returns its config once RBAC lets it read common.
func memberIdentity(ctx context.Context, pivotClient client.Client, pivot *controlplane.Cluster, member string, stateDir string) (*rest.Config, error) {
	user := "hotplug-agent:" + member
	subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
	role, binding := access.MemberOnPivot(member, subject)
	// The revisions of a Progressive common are Secrets the hub's Role
	// names; without this binding a member keeps its revision forever.
	revisions := access.RevisionsOnPivot(member, heartbeat.DefaultNamespace, subject)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: heartbeat.DefaultNamespace}}
	for _, obj := range []client.Object{ns, role, binding, revisions} {
		if err := apply(ctx, pivotClient, obj); err != nil {
			return nil, fmt.Errorf("granting %s access to the pivot: %w", member, err)
		}
	}
	cfg, err := pivot.UserConfig(user)
	if err != nil {
		return nil, fmt.Errorf("identity of %s on the pivot: %w", member, err)
	}
	if err := pivot.WriteKubeconfig(filepath.Join(stateDir, member, "pivot-kubeconfig"), cfg); err != nil {
		return nil, err
	}
	uc, err := kube.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s on the pivot: %w", member, err)
	}
	// RBAC takes a moment to reach the authorizer's cache; an agent started
	// before would log forbidden errors and back off.
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		last = uc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{})
		return last == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s cannot read common on the pivot: %w", member, errors.Join(err, last))
	}
	return cfg, nil
}
