package controlplane_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// TestWorkloadsBecomeAvailable proves that controller-manager, scheduler and
// kwok together make a Deployment Available and really delete a namespace.
func TestWorkloadsBecomeAvailable(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "work", Workloads: true})
	cs, err := kubernetes.NewForConfig(env.Cluster("work").Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
	// The namespace's default ServiceAccount comes from the controller-manager;
	// pods are refused until it exists.
	start := time.Now()
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.AppsV1().Deployments("demo").Create(ctx, dep, metav1.CreateOptions{})
		return err == nil || apierrors.IsAlreadyExists(err), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.ReadyReplicas == 2 {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("deployment never became Available: %v", err)
	}
	t.Logf("deployment Available %s after creation", time.Since(start).Round(time.Millisecond))

	if err := cs.CoreV1().Namespaces().Delete(ctx, "demo", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("namespace never deleted: %v", err)
	}
}

// TestThreeClustersSideBySide starts three API servers on one etcd, checks
// that they are separate clusters, and that Stop leaves no process and no
// bound port behind.
func TestThreeClustersSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	env, err := controlplane.Start(ctx, controlplane.Options{Dir: t.TempDir(), Clusters: []controlplane.ClusterOptions{
		{Name: "pivot-cluster"}, {Name: "member-1"}, {Name: "member-2"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("three clusters ready in %s", time.Since(start).Round(time.Millisecond))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = env.Stop()
		}
	})

	for i, c := range env.Clusters {
		cs, err := kubernetes.NewForConfig(c.Config)
		if err != nil {
			t.Fatal(err)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("only-in-%d", i)}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range env.Clusters {
		cs, _ := kubernetes.NewForConfig(c.Config)
		for j := range env.Clusters {
			_, err := cs.CoreV1().Namespaces().Get(ctx, fmt.Sprintf("only-in-%d", j), metav1.GetOptions{})
			if (i == j) != (err == nil) {
				t.Errorf("cluster %s sees namespace of cluster %d: %v", c.Name, j, err)
			}
		}
	}

	pids := env.PIDs()
	if len(pids) != 4 {
		t.Fatalf("want 4 processes (etcd + 3 kube-apiservers), got %v", pids)
	}
	var hosts []string
	for _, c := range env.Clusters {
		hosts = append(hosts, c.Host[len("https://"):])
	}
	start = time.Now()
	if err := env.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	t.Logf("three clusters stopped in %s", time.Since(start).Round(time.Millisecond))
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still running", pid)
		}
	}
	for _, h := range hosts {
		l, err := net.Listen("tcp", h)
		if err != nil {
			t.Errorf("port %s still bound: %v", h, err)
			continue
		}
		_ = l.Close()
	}
}

// TestMissingBinaryExplainsFix checks the error a user sees before
// `make controlplane` has run.
func TestMissingBinaryExplainsFix(t *testing.T) {
	_, err := controlplane.Start(context.Background(), controlplane.Options{BinDir: t.TempDir(), Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make controlplane") {
		t.Fatalf("want an error pointing to `make controlplane`, got %v", err)
	}
}
