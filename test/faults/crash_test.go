package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// cycles is how many crash cycles run: HOTPLUG_FAULTS_CYCLES (`make faults`
// sets 20), else 3, the short version inside the test command.
func cycles(t *testing.T) int {
	if v := os.Getenv("HOTPLUG_FAULTS_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("HOTPLUG_FAULTS_CYCLES=%q is not a positive number", v)
		}
		return n
	}
	return 3
}

// TestCrashCycles edits `common` and the cluster's own Hotplug at random,
// SIGKILLs the agent at a random moment (often inside a Helm action),
// restarts it, and checks after every cycle that exactly the desired
// releases exist, all deployed at the desired values, none pending.
func TestCrashCycles(t *testing.T) {
	n := cycles(t)
	rng := randomSource(t)
	cl, c, h, chartDir := seededPivot(t)
	// A short Helm timeout bounds how long a release left pending by the
	// killed agent waits before the next one recovers it.
	args := []string{"--cluster-name=pivot-cluster", "--kubeconfig=" + cl.Kubeconfig, "--chart-dir=" + chartDir,
		"--timeout=15s", "--leader-elect=false"}

	agentProc := testenv.StartAgentProcess(t, args...)
	waitConverged(t, c, h, 2*time.Minute)
	passed := 0
	for i := range n {
		edits := 1 + rng.IntN(3)
		for range edits {
			randomEdit(t, c, rng)
		}
		// Half the kills come within 300 ms of the edit, when the agent is
		// most likely inside a Helm action; the others at any later moment.
		delay := rng.IntN(2500)
		if rng.IntN(2) == 0 {
			delay = rng.IntN(300)
		}
		time.Sleep(time.Duration(delay) * time.Millisecond)
		if err := agentProc.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = agentProc.Wait()
		pending := pendingReleases(t, h)
		agentProc = testenv.StartAgentProcess(t, args...)
		start := time.Now()
		if ok := t.Run(fmt.Sprintf("cycle-%02d", i+1), func(t *testing.T) {
			waitConverged(t, c, h, 2*time.Minute)
		}); ok {
			passed++
		}
		t.Logf("cycle %d: %d edit(s), killed with %d release(s) pending, converged in %v", i+1, edits, len(pending), time.Since(start).Round(100*time.Millisecond))
	}
	t.Logf("crash cycles: %d/%d converged to exactly the desired releases", passed, n)
}

// randomEdit makes one operator-like change.
func randomEdit(t *testing.T, c client.Client, rng *rand.Rand) {
	t.Helper()
	target := "common"
	if rng.IntN(3) == 0 {
		target = "pivot-cluster"
	}
	kind, pick, value := rng.IntN(4), rng.IntN(1<<20), rng.IntN(1000)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: target}, hp); err != nil {
			return err
		}
		hp.Spec.Component = editComponents(hp.Spec.Component, kind, pick, value)
		return c.Update(context.Background(), hp)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editComponents applies edit kind (0-3) to comps; pick and value choose
// the component and the new value.
func editComponents(comps []hotplugv1.ComponentSpec, kind, pick, value int) []hotplugv1.ComponentSpec {
	switch kind {
	case 0: // switch a component on or off
		if len(comps) > 0 {
			i := pick % len(comps)
			comps[i].Status = []string{hotplugv1.StatusEnabled, hotplugv1.StatusDisabled}[value%2]
		}
	case 1: // change values
		if len(comps) > 0 {
			i := pick % len(comps)
			comps[i].Env = fmt.Sprintf("marker: m%d\n", value)
		}
	case 2: // a new chart package version
		for i := range comps {
			if comps[i].Name == "logagent" {
				comps[i].PkgName = []string{"logagent-v1.0.0.tgz", "logagent-v1.1.0.tgz"}[value%2]
			}
		}
	case 3: // add or remove an extra component
		found := -1
		for i := range comps {
			if comps[i].Name == "extra" {
				found = i
			}
		}
		if found >= 0 {
			comps = append(comps[:found], comps[found+1:]...)
		} else {
			comps = append(comps, hotplugv1.ComponentSpec{Name: "extra", Namespace: "extra", PkgName: "thanos-3.18.0.tgz", Status: hotplugv1.StatusEnabled})
		}
	}
	return comps
}

// desiredReleases is namespace/name of every release the current
// configuration asks for, computed with the agent's own merge.
func desiredReleases(t *testing.T, c client.Client) map[string]bool {
	t.Helper()
	common, own := &hotplugv1.Hotplug{}, &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "common"}, common); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "pivot-cluster"}, own); err != nil {
		t.Fatal(err)
	}
	res := merge.Effective("pivot-cluster", common, own)
	if len(res.Errors) > 0 {
		t.Fatalf("random edits made a bad configuration: %v", res.Errors)
	}
	out := map[string]bool{}
	for _, comp := range res.Components {
		if comp.Enabled && comp.PkgName != "" {
			out[comp.Namespace+"/"+comp.Name] = true
		}
	}
	return out
}

func pendingReleases(t *testing.T, h *helm.Client) []string {
	t.Helper()
	rels, err := h.List(context.Background(), labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rels {
		if len(r.Status) > 8 && r.Status[:8] == "pending-" {
			out = append(out, r.Namespace+"/"+r.Name)
		}
	}
	return out
}

// waitConverged waits until the releases are exactly the desired ones, all
// deployed, and the Hotplug reports running at the current generation.
func waitConverged(t *testing.T, c client.Client, h *helm.Client, timeout time.Duration) {
	t.Helper()
	testenv.Eventually(t, timeout, "exactly the desired releases, none pending", func() (bool, string) {
		want := desiredReleases(t, c)
		rels, err := h.List(context.Background(), labels.Everything())
		if err != nil {
			return false, err.Error()
		}
		got := map[string]bool{}
		for _, r := range rels {
			if r.Status != "deployed" {
				return false, fmt.Sprintf("%s/%s is %s", r.Namespace, r.Name, r.Status)
			}
			got[r.Namespace+"/"+r.Name] = true
		}
		for k := range want {
			if !got[k] {
				return false, "missing " + k
			}
		}
		for k := range got {
			if !want[k] {
				return false, "extra " + k
			}
		}
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: "pivot-cluster"}, hp); err != nil {
			return false, err.Error()
		}
		if hp.Status.ObservedGeneration != hp.Generation || hp.Status.Phase != hotplugv1.PhaseRunning {
			return false, fmt.Sprintf("status %s at generation %d/%d: %s", hp.Status.Phase, hp.Status.ObservedGeneration, hp.Generation, hp.Status.Message)
		}
		return true, ""
	})
}
