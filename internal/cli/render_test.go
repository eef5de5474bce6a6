package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI executes `hotplug ARGS` in-process and returns stdout, stderr
// (with the "Error:" line Execute would print) and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewRoot()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func TestMain(m *testing.M) {
	// Return diff's exit code as an error instead of ending the test binary.
	os.Exit(m.Run())
}

func TestRenderExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: logagent
    namespace: logagent
    pkgName: logagent-v1.0.0.tgz
    status: enabled
  - name: monitoring
    env: |
      a: [
`), 0o644); err != nil {
		t.Fatal(err)
	}
	common := "../../config/samples/hotplug_v1_common.yaml"
	pivot := "../../config/samples/hotplug_v1_pivot-cluster.yaml"
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings
		stderr    []string
		notStdout string
	}{
		{"ok", []string{"render", "--cluster", "member-1", "-f", common}, 0, []string{"logagent", "clustername=member-1"}, nil, ""},
		{"json", []string{"render", "--cluster", "member-1", "-f", common, "-o", "json"}, 0, []string{`"cluster": "member-1"`}, nil, ""},
		{"no common", []string{"render", "--cluster", "pivot-cluster", "-f", pivot}, 1, nil,
			[]string{"no Hotplug named common in " + pivot + ": pass the file that holds it with -f"}, ""},
		{"missing file", []string{"render", "--cluster", "x", "-f", filepath.Join(dir, "nope.yaml")}, 1, nil, []string{"nope.yaml"}, ""},
		{"bad component, good still printed", []string{"render", "--cluster", "c1", "-f", bad}, 1,
			[]string{"logagent", "monitoring", "see " + bad + ":12"},
			[]string{bad + `:12: hotplug "common": component "monitoring": env: line 1:`}, ""},
		{"missing --cluster", []string{"render", "-f", common}, 2, nil, []string{"--cluster is required"}, ""},
		{"missing -f", []string{"render", "--cluster", "x"}, 2, nil, []string{"-f is required"}, ""},
		{"bad -o", []string{"render", "--cluster", "x", "-f", common, "-o", "xml"}, 2, nil, []string{`unknown output format "xml"`}, ""},
		{"unknown flag", []string{"render", "--nope"}, 2, nil, []string{"unknown flag"}, ""},
		{"--manifests with -o", []string{"render", "--cluster", "x", "-f", common, "--manifests", "-o", "json"}, 2, nil, []string{"drop -o json"}, ""},
		{"--manifests without charts", []string{"render", "--cluster", "x", "-f", common, "--manifests", "--chart-dir", dir}, 1, nil,
			[]string{`component "kubecube-monitoring"`, "is --chart-dir right?"}, "# Source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tc.notStdout != "" && strings.Contains(out, tc.notStdout) {
				t.Errorf("stdout has %q:\n%s", tc.notStdout, out)
			}
			if strings.Contains(out, "\x1b[") {
				t.Errorf("colour codes in non-terminal output:\n%q", out)
			}
		})
	}
}
