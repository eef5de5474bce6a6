package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/cli"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

const (
	commonFile = "../../config/samples/hotplug_v1_common.yaml"
	pivotFile  = "../../config/samples/hotplug_v1_pivot-cluster.yaml"
)

// run executes `hotplug ARGS` in-process and returns stdout, stderr and
// the exit code Execute would return.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := cli.NewRoot()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), cli.ExitCode(err)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	charts := t.TempDir()
	testcharts.Package(t, "configmap", charts, "logseer", "1.0.0", "logseer-v1.0.0.tgz")
	testcharts.Package(t, "configmap", charts, "logagent", "1.0.0", "logagent-v1.0.0.tgz")
	testcharts.Package(t, "configmap", charts, "kubecube-monitoring", "15.4.7", "kubecube-monitoring-15.4.7.tgz")
	testcharts.Package(t, "configmap", charts, "thanos", "3.18.0", "thanos-3.18.0.tgz")

	cases := []struct {
		golden string
		args   []string
	}{
		{"pivot-cluster.table.golden", []string{"render", "--cluster", "pivot-cluster", "-f", commonFile, "-f", pivotFile}},
		{"pivot-cluster.yaml.golden", []string{"render", "--cluster", "pivot-cluster", "-f", commonFile, "-f", pivotFile, "-o", "yaml"}},
		{"pivot-cluster.manifests.golden", []string{"render", "--cluster", "pivot-cluster", "-f", commonFile, "-f", pivotFile, "--manifests", "--chart-dir", charts}},
		{"member-1.table.golden", []string{"render", "--cluster", "member-1", "-f", commonFile}},
		{"member-1.yaml.golden", []string{"render", "--cluster", "member-1", "-f", commonFile, "-o", "yaml"}},
		// Both files given: member-1 has no own Hotplug, so pivot-cluster's is ignored.
		{"member-1.yaml.golden", []string{"render", "--cluster", "member-1", "-f", commonFile, "-f", pivotFile, "-o", "yaml"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:4], " ")+" "+tc.golden, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, errOut)
			}
			golden(t, tc.golden, out)
		})
	}
}
