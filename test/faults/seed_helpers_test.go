package faults

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// randomSource is the suite's random source: seeded from the clock, or
// from HOTPLUG_FAULTS_SEED to reproduce a run; the seed is logged.
func randomSource(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("HOTPLUG_FAULTS_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (HOTPLUG_FAULTS_SEED reproduces a run)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// seededPivot starts one cluster named pivot-cluster holding the seed's
// configuration (config/samples) and a chart directory with its packages.
func seededPivot(t *testing.T) (*controlplane.Cluster, client.Client, *helm.Client, string) {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cl := env.Cluster("pivot-cluster")
	c, err := client.New(cl.Config, client.Options{Scheme: kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	for _, name := range samples.Names() {
		if err := manifest.Apply(context.Background(), c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := helm.New(cl.Config, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c, h, chartDir
}
