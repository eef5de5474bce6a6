package chartset

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestHeavyMonitoringInstallsAndUpgrades installs the heavy monitoring
// chart through hotplug's Helm wrapper, waiting, on a simulated cluster
// (kwok completes the hook Jobs' pods), then upgrades it to the next
// round: the API server accepts and establishes the ten large CRDs, takes
// custom resources of them, the release record fits in its Secret, and
// the hook objects are gone once they succeeded. With -v the Helm SDK's
// debug log is printed with timestamps (where the install's time goes).
func TestHeavyMonitoringInstallsAndUpgrades(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "heavy", Workloads: true})
	cl := env.Cluster("heavy")
	dir := t.TempDir()
	if _, err := Write(dir); err != nil {
		t.Fatal(err)
	}
	comp := Heavy.Components()[0]
	pkg, err := chartpkg.NewLoader(dir, limits.Limits{}).Load(comp.Pkg)
	if err != nil {
		t.Fatal(err)
	}
	verbosity := 0
	if testing.Verbose() {
		verbosity = 4 // slog's debug level
	}
	log := funcr.New(func(prefix, args string) { t.Log(prefix, args) }, funcr.Options{LogTimestamp: true, Verbosity: verbosity})
	h, err := helm.New(cl.Config, helm.Options{Wait: true, Timeout: 5 * time.Minute, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.New(cl.Config, client.Options{Scheme: installScheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: comp.Namespace}}); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		req := helm.Request{Name: comp.Name, Namespace: comp.Namespace, Chart: pkg.Chart, Values: Values(round)}
		start := time.Now()
		var rel *helm.Release
		if round == 1 {
			rel, err = h.Install(ctx, req)
		} else {
			rel, err = h.Upgrade(ctx, req)
		}
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: revision %d %s in %s", round, rel.Revision, rel.Status, time.Since(start).Round(time.Millisecond))
		if rel.Status != "deployed" || rel.Revision != round {
			t.Fatalf("round %d: revision %d %s, want revision %d deployed", round, rel.Revision, rel.Status, round)
		}
		checkInstalled(ctx, t, c, comp.Namespace)
	}
}

// checkInstalled checks the heavy monitoring release on the cluster.
func checkInstalled(ctx context.Context, t *testing.T, c client.Client, namespace string) {
	t.Helper()
	for _, k := range HeavyCRDs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: pluralOf(k.Kind) + "." + CRDGroup}, crd); err != nil {
			t.Fatal(err)
		}
		established := false
		for _, cond := range crd.Status.Conditions {
			established = established || cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue
		}
		if !established {
			t.Errorf("CRD %s not established: %v", crd.Name, crd.Status.Conditions)
		}
	}
	rules := &unstructured.UnstructuredList{}
	rules.SetAPIVersion(CRDGroup + "/v1")
	rules.SetKind("PrometheusRuleList")
	if err := c.List(ctx, rules, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	if len(rules.Items) != heavyRuleGroups {
		t.Errorf("%d PrometheusRules, want %d", len(rules.Items), heavyRuleGroups)
	}
	// hook-succeeded: the Jobs and their RBAC are gone.
	for _, o := range []client.Object{&batchv1.Job{}, &corev1.ServiceAccount{}} {
		name := "monitoring-admission"
		if _, ok := o.(*batchv1.Job); ok {
			name = "monitoring-admission-patch"
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, o); !apierrors.IsNotFound(err) {
			t.Errorf("hook %T %s: %v, want it deleted after it succeeded", o, name, err)
		}
	}
	secrets := &corev1.SecretList{}
	if err := c.List(ctx, secrets, client.InNamespace(namespace), client.MatchingLabels{"owner": "helm"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		t.Logf("release record %s: %d bytes", s.Name, len(s.Data["release"]))
		if len(s.Data["release"]) > 1<<20 {
			t.Errorf("release record %s: %d bytes, over a Secret's 1 MiB", s.Name, len(s.Data["release"]))
		}
	}
}

var installScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	return s
}()
