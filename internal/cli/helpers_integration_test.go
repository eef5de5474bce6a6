package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// startAgent runs the agent in-process and returns a function that stops
// it and waits until it has stopped; the test's cleanup stops it too.
func startAgent(t *testing.T, cfg *rest.Config, opts agent.Options) (stop func()) {
	t.Helper()
	return testenv.RunAgent(t, cfg, opts).Stop
}

// seedPivot starts a pivot-cluster with the seed's configuration and the
// stand-in chart packages, and returns its clients and chart directory.
func seedPivot(t *testing.T) (*controlplane.Cluster, client.Client, *helm.Client, string) {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cl := env.Cluster("pivot-cluster")
	c, err := kube.NewClient(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	h, err := helm.New(cl.Config, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	charts := t.TempDir()
	testenv.SeedCharts(t, charts)
	applySamples(t, c)
	return cl, c, h, charts
}

func applySamples(t *testing.T, c client.Client) {
	t.Helper()
	for _, name := range samples.Names() {
		if err := manifest.Apply(context.Background(), c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitConverged waits until the agent reports both Hotplugs running for
// their current generation.
func waitConverged(t *testing.T, c client.Client, names ...string) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "agent converges", func() (bool, string) {
		for _, n := range names {
			hp := &hotplugv1.Hotplug{}
			if err := c.Get(context.Background(), client.ObjectKey{Name: n}, hp); err != nil {
				return false, err.Error()
			}
			if hp.Status.Phase != hotplugv1.PhaseRunning || hp.Status.ObservedGeneration != hp.Generation {
				return false, n + ": " + hp.Status.Phase + " " + hp.Status.Message
			}
		}
		return true, ""
	})
}

// revisions maps namespace/name of every release to its revision.
func revisions(t *testing.T, h *helm.Client) map[string]int {
	t.Helper()
	rels, err := h.List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rels {
		out[r.Namespace+"/"+r.Name] = r.Revision
	}
	return out
}

func releaseAbsent(t *testing.T, h *helm.Client, ns, name string) bool {
	t.Helper()
	_, err := h.Get(context.Background(), ns, name)
	return errors.Is(err, helm.ErrNotFound)
}

func init() {
	// client-go reflectors log before a test hands them a logger.
	ctrl.SetLogger(logr.Discard())
}
