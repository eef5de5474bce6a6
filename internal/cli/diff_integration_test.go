package cli

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestDiffListsWhatTheAgentDoes edits common while the agent is stopped,
// runs diff, then the agent, and checks that the releases the agent
// changed are exactly those diff listed, with the actions it listed.
func TestDiffListsWhatTheAgentDoes(t *testing.T) {
	cl, c, h, charts := seedPivot(t)
	opts := agent.Options{ClusterName: "pivot-cluster", ChartDir: charts, Resync: 2 * time.Second}
	stop := startAgent(t, cl.Config, opts)
	waitConverged(t, c, "common", "pivot-cluster")
	stop()

	diffArgs := []string{"diff", "--cluster", "pivot-cluster", "--kubeconfig", cl.Kubeconfig, "--chart-dir", charts}
	out, errOut, code := runCLI(t, diffArgs...)
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("diff of a converged cluster: exit %d\n%s%s", code, out, errOut)
	}

	// One edit of common that makes the agent upgrade, install and
	// uninstall, and change nothing else.
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "common"}, hp); err != nil {
		t.Fatal(err)
	}
	var comps []hotplugv1.ComponentSpec
	for _, cs := range hp.Spec.Component {
		switch cs.Name {
		case "logagent": // removed: uninstalled (the agent manages it)
			continue
		case "kubecube-monitoring": // new value deep-merged under pivot's env
			cs.Env += "alertmanager:\n  enabled: true\n"
		case "kubecube-thanos": // pivot-cluster's own status already says so: no change
			cs.Status = hotplugv1.StatusEnabled
		}
		comps = append(comps, cs)
	}
	comps = append(comps, hotplugv1.ComponentSpec{Name: "extra", Namespace: "extra", PkgName: "logagent-v1.1.0.tgz", Status: hotplugv1.StatusEnabled})
	hp.Spec.Component = comps
	if err := c.Update(context.Background(), hp); err != nil {
		t.Fatal(err)
	}

	out, errOut, code = runCLI(t, append(diffArgs, "-o", "json")...)
	if code != ExitChanges {
		t.Fatalf("diff after the edit: exit %d, want %d\n%s%s", code, ExitChanges, out, errOut)
	}
	var changes []fleet.Change
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatalf("diff -o json does not parse: %v\n%s", err, out)
	}
	listed := map[string]string{}
	for _, ch := range changes {
		if ch.Pending() {
			var acts []string
			for _, s := range ch.Steps {
				acts = append(acts, s.Action)
			}
			listed[ch.Component] = strings.Join(acts, ",")
		}
	}
	want := map[string]string{"extra": "install", "kubecube-monitoring": "upgrade", "logagent": "uninstall"}
	if !maps.Equal(listed, want) {
		t.Errorf("diff lists %v, want %v", listed, want)
	}

	table, _, code := runCLI(t, diffArgs...)
	for _, s := range []string{
		"--- kubecube-monitoring deployed (revision 1)", "+++ kubecube-monitoring desired",
		"+alertmanager:", "+  enabled: true", " grafana:",
		"3 component(s) would change",
	} {
		if !strings.Contains(table, s) {
			t.Errorf("diff table lacks %q:\n%s", s, table)
		}
	}
	if code != ExitChanges {
		t.Errorf("diff table: exit %d", code)
	}

	before := revisions(t, h)
	startAgent(t, cl.Config, opts)
	waitConverged(t, c, "common", "pivot-cluster")
	testenv.Eventually(t, 60*time.Second, "diff reports no changes once the agent ran", func() (bool, string) {
		out, errOut, code := runCLI(t, diffArgs...)
		return code == 0, out + errOut
	})
	after := revisions(t, h)
	moved := map[string]string{}
	for key, rev := range before {
		name := key[strings.Index(key, "/")+1:]
		switch r, ok := after[key]; {
		case !ok:
			moved[name] = "uninstall"
		case r != rev:
			moved[name] = "upgrade"
		}
	}
	for key := range after {
		if _, ok := before[key]; !ok {
			moved[key[strings.Index(key, "/")+1:]] = "install"
		}
	}
	if !maps.Equal(moved, listed) {
		t.Errorf("the agent changed %v; diff listed %v", moved, listed)
	}
	t.Logf("releases before %v after %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
}
