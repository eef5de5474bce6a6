package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
)

// TestEnableDisableRoundTrip switches components with the agent running
// and checks that each command returns 0 only once the release is there
// (or gone), plus the creation of a cluster's own Hotplug, a timeout and
// usage errors.
func TestEnableDisableRoundTrip(t *testing.T) {
	cl, c, h, charts := seedPivot(t)
	startAgent(t, cl.Config, agent.Options{ClusterName: "pivot-cluster", ChartDir: charts, Resync: 2 * time.Second})
	waitConverged(t, c, "common", "pivot-cluster")
	kc := []string{"--kubeconfig", cl.Kubeconfig, "--timeout", "60s"}

	deployed := func(ns, name string) bool {
		r, err := h.Get(context.Background(), ns, name)
		return err == nil && r.Status == "deployed"
	}
	steps := []struct {
		args  []string
		check func() bool
		what  string
	}{
		{[]string{"disable", "logseer", "--cluster", "pivot-cluster"}, func() bool { return releaseAbsent(t, h, "logseer", "logseer") }, "logseer uninstalled"},
		{[]string{"enable", "logseer", "--cluster", "pivot-cluster"}, func() bool { return deployed("logseer", "logseer") }, "logseer deployed"},
		{[]string{"disable", "logagent"}, func() bool { return releaseAbsent(t, h, "logagent", "logagent") }, "logagent uninstalled (via common)"},
		{[]string{"enable", "logagent"}, func() bool { return deployed("logagent", "logagent") }, "logagent deployed (via common)"},
		// Already enabled: nothing written, still waits and succeeds.
		{[]string{"enable", "logagent"}, func() bool { return deployed("logagent", "logagent") }, "logagent still deployed"},
	}
	for _, s := range steps {
		out, errOut, code := runCLI(t, append(s.args, kc...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", s.args, code, out, errOut)
		}
		if !strings.Contains(out, "applied by the agent") {
			t.Errorf("%v: stdout %q", s.args, out)
		}
		// The command returned only after the agent applied the change.
		if !s.check() {
			t.Errorf("%v returned 0 but not %s", s.args, s.what)
		}
		if strings.Contains(errOut, "\x1b[") {
			t.Errorf("%v: terminal control codes in piped progress: %q", s.args, errOut)
		}
	}
	own := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "pivot-cluster"}, own); err != nil {
		t.Fatal(err)
	}
	for _, cs := range own.Spec.Component {
		if cs.Name == "logseer" && cs.Status != hotplugv1.StatusEnabled {
			t.Errorf("pivot-cluster's logseer = %+v", cs)
		}
	}

	t.Run("creates a cluster's own Hotplug, no wait", func(t *testing.T) {
		out, errOut, code := runCLI(t, "enable", "kubecube-thanos", "--cluster", "member-9", "--no-wait", "--kubeconfig", cl.Kubeconfig)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: "member-9"}, hp); err != nil {
			t.Fatal(err)
		}
		want := []hotplugv1.ComponentSpec{{Name: "kubecube-thanos", Status: hotplugv1.StatusEnabled}}
		if hp.Annotations[hotplugv1.SyncAnnotation] != "true" || len(hp.Spec.Component) != 1 || !reflect.DeepEqual(hp.Spec.Component[0], want[0]) {
			t.Errorf("created %v %+v", hp.Annotations, hp.Spec.Component)
		}
		// A second component is added as name + status only.
		if _, errOut, code := runCLI(t, "disable", "logagent", "--cluster", "member-9", "--no-wait", "--kubeconfig", cl.Kubeconfig); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if err := c.Get(context.Background(), client.ObjectKey{Name: "member-9"}, hp); err != nil {
			t.Fatal(err)
		}
		if len(hp.Spec.Component) != 2 || !reflect.DeepEqual(hp.Spec.Component[1], hotplugv1.ComponentSpec{Name: "logagent", Status: hotplugv1.StatusDisabled}) {
			t.Errorf("components %+v", hp.Spec.Component)
		}
	})

	t.Run("times out with exit 1 when no agent applies it", func(t *testing.T) {
		start := time.Now()
		_, errOut, code := runCLI(t, "enable", "logseer", "--cluster", "member-9", "--kubeconfig", cl.Kubeconfig, "--timeout", "2s")
		if code != 1 || !strings.Contains(errOut, "gave up waiting") || !strings.Contains(errOut, "--timeout 2s passed") {
			t.Errorf("exit %d, stderr %s", code, errOut)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s", d)
		}
	})

	t.Run("common override warning", func(t *testing.T) {
		_, errOut, code := runCLI(t, "enable", "logseer", "--no-wait", "--kubeconfig", cl.Kubeconfig)
		if code != 0 || !strings.Contains(errOut, "warning: these clusters set logseer's status in their own Hotplug and keep it: ") || !strings.Contains(errOut, "pivot-cluster (status: enabled)") {
			t.Errorf("exit %d, stderr %s", code, errOut)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"enable"}, {"disable", "a", "b"}, {"enable", "x", "--timeout", "0s"}, {"enable", "x", "--cluster", "common"}, {"disable", "x", "--bogus"},
		} {
			if _, errOut, code := runCLI(t, append(args, "--kubeconfig", cl.Kubeconfig)...); code != 2 {
				t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
			}
		}
	})
}
