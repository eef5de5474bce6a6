package deploy

import (
	"context"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// seedMessage is status.message of both seed objects once converged.
const seedMessage = `{"kubecube-monitoring":"release is running","kubecube-thanos":"release is running","logagent":"release is running","logseer":"release is running"}`

// componentObjects keeps the RBAC objects (and ServiceAccounts) the chart
// renders for one component (app.kubernetes.io/component).
func componentObjects(objs []*unstructured.Unstructured, component string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range ofKinds(objs, "ServiceAccount", "Secret", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding") {
		if o.GetLabels()["app.kubernetes.io/component"] == component {
			out = append(out, o)
		}
	}
	return out
}

// installForReal applies objs (CRDs already there) and fails on any refusal.
func installForReal(t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	if len(objs) == 0 {
		t.Fatal("nothing to install")
	}
	for _, err := range applyObjects(c, objs, false) {
		t.Fatal(err)
	}
}

// waitConverged waits until each named Hotplug reads PHASE running for its
// current generation with the seed's message.
func waitConverged(t *testing.T, c client.Client, names ...string) {
	t.Helper()
	testenv.Eventually(t, 120*time.Second, "seed configuration converges", func() (bool, string) {
		for _, n := range names {
			hp := &hotplugv1.Hotplug{}
			if err := c.Get(context.Background(), client.ObjectKey{Name: n}, hp); err != nil {
				return false, err.Error()
			}
			if hp.Status.Phase != hotplugv1.PhaseRunning || hp.Status.ObservedGeneration != hp.Generation || hp.Status.Message != seedMessage {
				return false, n + ": " + hp.Status.Phase + " " + hp.Status.Message
			}
		}
		return true, ""
	})
}

// TestAgentRunsWithChartRBAC installs the chart's CRDs and the agent's
// ServiceAccount, ClusterRoles and bindings into a real pivot cluster, runs
// the agent in-process as that ServiceAccount (a TokenRequest token, nothing
// else), and checks the seed scenario converges with no request refused;
// with a Progressive common it runs only the revision assigned to it, read
// with the chart's rights; then shows the token is refused what the default
// role excludes.
func TestAgentRunsWithChartRBAC(t *testing.T) {
	env := startClusters(t, "pivot-cluster")
	admin := env.Cluster("pivot-cluster").Config
	c := newClient(t, admin)
	ctx := context.Background()
	installChartCRDs(t, c)
	createNamespace(t, c, releaseNamespace)
	installForReal(t, c, componentObjects(mustRender(t, pivotValues()).Objects, "agent"))

	agentCfg := tokenConfig(t, admin, releaseNamespace, "hotplug-agent")
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	refused := testenv.RunAgent(t, agentCfg, agent.Options{ClusterName: "pivot-cluster", ChartDir: chartDir, Namespace: releaseNamespace, Resync: 2 * time.Second})

	waitConverged(t, c, "common", "pivot-cluster")
	if got := refused.Forbidden(); len(got) > 0 {
		t.Errorf("the agent was refused %d request(s) with the chart's RBAC: %v", len(got), got)
	}
	// The releases are real Helm releases made by the ServiceAccount.
	secrets := &corev1.SecretList{}
	if err := c.List(ctx, secrets, client.InNamespace("kubecube-monitoring"), client.MatchingLabels{"owner": "helm"}); err != nil {
		t.Fatal(err)
	}
	if len(secrets.Items) != 2 {
		t.Errorf("%d Helm release Secrets in kubecube-monitoring, want 2 (monitoring, thanos)", len(secrets.Items))
	}
	fc := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: agent.FeatureConfigMap}, fc); err != nil || fc.Data["audit"] != "disabled" {
		t.Errorf("feature ConfigMap %v: %v", fc.Data, err)
	}
	cl := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, cl); err != nil {
		t.Fatal(err)
	}

	t.Run("a Progressive common runs the assigned revision", func(t *testing.T) {
		checkProgressiveRuns(t, c, c, "pivot-cluster", func() string { return "" })
		if got := refused.Forbidden(); len(got) > 0 {
			t.Errorf("the agent was refused %d request(s) reading its assignment: %v", len(got), got)
		}
	})

	t.Run("outside the role is refused", func(t *testing.T) {
		cs, err := kubernetes.NewForConfig(agentCfg)
		if err != nil {
			t.Fatal(err)
		}
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
		if err := c.Create(ctx, node); err != nil {
			t.Fatal(err)
		}
		csr := &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "someone"},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				Request: testCSR(t), SignerName: "kubernetes.io/kube-apiserver-client",
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
			},
		}
		if err := c.Create(ctx, csr); err != nil {
			t.Fatal(err)
		}
		csr.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{
			Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Test", Message: "approved by the agent",
		}}
		checks := map[string]error{
			"delete a Node":        cs.CoreV1().Nodes().Delete(ctx, "node-1", metav1.DeleteOptions{}),
			"delete its namespace": cs.CoreV1().Namespaces().Delete(ctx, releaseNamespace, metav1.DeleteOptions{}),
			"delete a Hotplug":     newClient(t, agentCfg).Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}}),
			"approve a CSR":        approve(ctx, cs, csr),
			"create a PersistentVolume": func() error {
				_, err := cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv"}}, metav1.CreateOptions{})
				return err
			}(),
		}
		for what, err := range checks {
			if !isForbidden(err) {
				t.Errorf("%s: got %v, want Forbidden", what, err)
			}
		}
		// ...while what it needs is allowed (the same client is not broken).
		if _, err := cs.CoreV1().Secrets("logseer").List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("listing release Secrets: %v", err)
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(node), node); err != nil {
			t.Errorf("the node should still exist: %v", err)
		}
	})
}

func approve(ctx context.Context, cs kubernetes.Interface, csr *certificatesv1.CertificateSigningRequest) error {
	_, err := cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
	return err
}
