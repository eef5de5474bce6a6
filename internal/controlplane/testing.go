package controlplane

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
)

// StartForTest starts the clusters for a test and stops them when the test
// ends, whether it passes or fails. Processes also die with the test binary
// (panic, timeout, interrupt) through their parent-death signal.
func StartForTest(t testing.TB, clusters ...ClusterOptions) *Environment {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local control plane; run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	env, err := Start(ctx, Options{Dir: t.TempDir(), Clusters: clusters, Log: testr.NewWithInterface(t, testr.Options{})})
	if err != nil {
		t.Fatalf("starting control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping control plane: %v", err)
		}
	})
	t.Logf("control plane with %d cluster(s) ready in %s", len(clusters), time.Since(start).Round(time.Millisecond))
	return env
}
