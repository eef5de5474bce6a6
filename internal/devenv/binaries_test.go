package devenv

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCheckout makes a directory that looks like hotplug's checkout, whose
// `make controlplane` prints progress and creates stub binaries.
func fakeCheckout(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":   modulePath + "\ngo 1.26\n",
		"Makefile": "BIN ?= $(CURDIR)/bin\ncontrolplane:\n\tBIN_DIR=$(BIN) ./hack/build-controlplane.sh\n",
		"hack/build-controlplane.sh": "#!/bin/sh\nset -e\nmkdir -p \"$BIN_DIR\"\n" +
			"for n in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwok-stages.yaml; do\n" +
			"  echo \"controlplane: building $n\"; touch \"$BIN_DIR/$n\"\ndone\n",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestMissingBinariesAreBuiltWithProgress(t *testing.T) {
	root := fakeCheckout(t)
	bin := filepath.Join(root, "bin")
	var out bytes.Buffer
	if err := ensureBinaries(context.Background(), bin, true, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"building the control plane", "missing: etcd", "  | controlplane: building kube-apiserver", "  | controlplane: building kwok-stages.yaml"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
	if m := missingBinaries(bin, true); len(m) != 0 {
		t.Errorf("still missing %v", m)
	}
	// Present binaries are not rebuilt.
	out.Reset()
	if err := ensureBinaries(context.Background(), bin, true, &out); err != nil || out.Len() != 0 {
		t.Errorf("second run: %v, printed %q", err, out.String())
	}
}

func TestFailedBuildIsReported(t *testing.T) {
	root := fakeCheckout(t)
	if err := os.WriteFile(filepath.Join(root, "hack", "build-controlplane.sh"), []byte("#!/bin/sh\necho 'go: no network'\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := ensureBinaries(context.Background(), filepath.Join(root, "bin"), false, &out)
	if err == nil || !strings.Contains(err.Error(), "building the control plane") {
		t.Errorf("want a build error, got %v", err)
	}
	if !strings.Contains(out.String(), "  | go: no network") {
		t.Errorf("the build's output was not streamed:\n%s", out.String())
	}
}

func TestMissingBinariesWithoutCheckoutExplainFix(t *testing.T) {
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	err := ensureBinaries(context.Background(), filepath.Join(t.TempDir(), "bin"), true, &out)
	if err == nil || !strings.Contains(err.Error(), "make controlplane") || !strings.Contains(err.Error(), "kube-apiserver") {
		t.Errorf("want an error naming the missing binaries and `make controlplane`, got %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{}, {StateDir: "x", Members: -1}, {StateDir: "x", PivotPort: 70000}, {StateDir: "x", Members: 3, BasePort: 65534}} {
		if err := o.validate(); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	if err := (Options{StateDir: "x", Members: 2, BasePort: 7000}).validate(); err != nil {
		t.Error(err)
	}
	opts := clusterOptions(Options{Members: 2, PivotPort: 6443, BasePort: 7000, Workloads: true})
	if len(opts) != 3 || opts[0].Port != 6443 || opts[1].Name != "member-1" || opts[1].Port != 7000 || opts[2].Port != 7001 || !opts[2].Workloads {
		t.Errorf("cluster options %+v", opts)
	}
}
