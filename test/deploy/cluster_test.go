package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// startClusters starts local clusters WITHOUT hotplug's CRDs, so the tests
// install the chart's own crds/ and prove they are enough.
func startClusters(t *testing.T, names ...string) *controlplane.Environment {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local control plane; run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := controlplane.Options{Dir: t.TempDir(), SkipCRDs: true, Log: testr.NewWithOptions(t, testr.Options{Verbosity: 0})}
	for _, n := range names {
		opts.Clusters = append(opts.Clusters, controlplane.ClusterOptions{Name: n})
	}
	env, err := controlplane.Start(ctx, opts)
	if err != nil {
		t.Fatalf("starting control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping control plane: %v", err)
		}
	})
	return env
}

// testScheme is hotplug's scheme plus CustomResourceDefinitions.
var testScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(hotplugv1.AddToScheme(s))
	utilruntime.Must(clusterv1.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	return s
}()

func newClient(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// installChartCRDs creates the CRDs of the chart's crds/ directory for real,
// as `helm install` does before anything else, and waits until they serve.
func installChartCRDs(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	ch := loadChart(t)
	crds := ch.CRDObjects()
	if len(crds) != 2 {
		t.Fatalf("chart has %d CRDs, want 2", len(crds))
	}
	for _, f := range crds {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(f.File.Data, crd); err != nil {
			t.Fatalf("%s: %v", f.Filename, err)
		}
		if err := c.Create(ctx, crd); err != nil {
			t.Fatalf("creating CRD from %s: %v", f.Filename, err)
		}
		testenv.Eventually(t, 30*time.Second, "CRD "+crd.Name+" established", func() (bool, string) {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(crd), got); err != nil {
				return false, err.Error()
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, ""
				}
			}
			return false, "not established"
		})
	}
}

// createNamespace makes the release namespace, as `--create-namespace` would.
func createNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// applyObjects server-side applies objs, for real or (dryRun) with
// dryRun=All, and returns one error per refused object.
func applyObjects(c client.Client, objs []*unstructured.Unstructured, dryRun bool) []error {
	var errs []error
	for _, o := range objs {
		opts := []client.ApplyOption{client.FieldOwner("hotplug-test"), client.ForceOwnership}
		if dryRun {
			opts = append(opts, client.DryRunAll)
		}
		if err := c.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o.DeepCopy()), opts...); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err))
		}
	}
	return errs
}

// ofKinds keeps the objects whose kind is listed.
func ofKinds(objs []*unstructured.Unstructured, kinds ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		for _, k := range kinds {
			if o.GetKind() == k {
				out = append(out, o)
			}
		}
	}
	return out
}

// tokenConfig mints a token for ServiceAccount ns/name with the TokenRequest
// API and returns a client configuration that authenticates only with it.
func tokenConfig(t *testing.T, admin *rest.Config, ns, name string) *rest.Config {
	t.Helper()
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s: %v", ns, name, err)
	}
	return &rest.Config{
		Host: admin.Host, BearerToken: tr.Status.Token, QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData},
	}
}

// isForbidden tells whether err is the API server refusing the identity.
func isForbidden(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "cannot")
}

func init() {
	// client-go reflectors that log before a test hands them a logger would
	// otherwise print a warning with a stack trace.
	ctrl.SetLogger(logr.Discard())
}
