package arch

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// module is hotplug's module path; the layers name packages relative to it.
const module = "github.com/kubecube-io/hotplug/"

// layer is one level of the import order: its packages may import those
// of lower layers, and another package of their own layer only along a
// declared peer edge.
type layer struct {
	name string
	pkgs []string
	// peers are the imports allowed inside the layer, "from -> to".
	peers []string
}

// layers is the import order, lowest first. A new package must be placed
// here (the test fails otherwise); an import that runs upward or sideways
// without a declared peer edge fails it too.
var layers = []layer{
	{name: "API types", pkgs: []string{"api/hotplug/v1", "api/cluster/v1"},
		peers: []string{"api/cluster/v1 -> api/hotplug/v1"}}, // a Cluster's status carries Hotplug component statuses
	{name: "bounded primitives", pkgs: []string{"internal/limits", "internal/jsonpointer", "internal/redact", "internal/heartbeat",
		"internal/namedcache", "internal/statuspatch", "internal/output", "internal/apimetrics", "internal/manifest",
		"internal/crds", "internal/kube", "internal/testcharts"}},
	{name: "pure logic", pkgs: []string{"internal/merge", "internal/health", "internal/drift", "internal/chartpkg", "internal/chartsource",
		"internal/rollout", "internal/controlplane", "internal/testregistry", "internal/testbrowser"},
		peers: []string{"internal/drift -> internal/health"}}, // drift reads a release's objects as health lists them
	{name: "Helm and offline rendering", pkgs: []string{"internal/helm", "internal/render", "internal/chartfetch"},
		peers: []string{"internal/render -> internal/chartfetch"}}, // render pulls charts by source as the agent does
	{name: "components", pkgs: []string{"internal/mirror", "internal/report", "internal/webhookcert", "internal/access", "internal/toggle", "internal/dashboard"},
		peers: []string{"internal/dashboard -> internal/toggle"}}, // the view's switch is `hotplug enable|disable`'s write
	{name: "controllers", pkgs: []string{"internal/agent", "internal/hub"}},
	{name: "wiring and CLI logic", pkgs: []string{"internal/fleet", "internal/inprocess", "internal/testenv", "internal/devenv"},
		peers: []string{"internal/testenv -> internal/inprocess", "internal/devenv -> internal/inprocess", "internal/devenv -> internal/fleet"}},
	{name: "commands", pkgs: []string{"internal/cli"}},
	{name: "binary", pkgs: []string{"cmd/hotplug"}},
}

// checkLayers returns one message per import of graph (package -> its
// imports, module-relative; other imports are ignored) that breaks the
// order, and one per package under api/, internal/ or cmd/ in no layer.
func checkLayers(ls []layer, graph map[string][]string) []string {
	level := map[string]int{}
	peer := map[string]bool{}
	for i, l := range ls {
		for _, p := range l.pkgs {
			level[p] = i
		}
		for _, e := range l.peers {
			peer[e] = true
		}
	}
	var bad []string
	for pkg, imports := range graph {
		from, placed := level[pkg]
		if !placed {
			if layered(pkg) {
				bad = append(bad, fmt.Sprintf("%s is in no layer: add it to layers in test/arch/layers_test.go", pkg))
			}
			continue
		}
		for _, imp := range imports {
			to, ok := level[imp]
			switch {
			case !ok:
			case to > from:
				bad = append(bad, fmt.Sprintf("%s (layer %q) imports %s (layer %q): an import upward", pkg, ls[from].name, imp, ls[to].name))
			case to == from && !peer[pkg+" -> "+imp]:
				bad = append(bad, fmt.Sprintf("%s imports %s, both in layer %q, and that peer edge is not declared", pkg, imp, ls[from].name))
			}
		}
	}
	return bad
}

// layered tells whether a package must have a layer: hack/ and test/ may
// import anything.
func layered(pkg string) bool {
	return strings.HasPrefix(pkg, "api/") || strings.HasPrefix(pkg, "internal/") || strings.HasPrefix(pkg, "cmd/")
}

// importGraph lists the module's packages and their non-test imports with
// `go list`, module-relative.
func importGraph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	graph := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		var imports []string
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				imports = append(imports, rel)
			}
		}
		graph[strings.TrimPrefix(f[0], module)] = imports
	}
	return graph
}

// TestLayers: no import of hotplug's packages runs upward in the declared
// layer order, none runs sideways without a declared reason, and every
// package has a layer.
func TestLayers(t *testing.T) {
	graph := importGraph(t)
	if len(graph) < 30 {
		t.Fatalf("go list found %d packages", len(graph))
	}
	for _, l := range layers {
		for _, p := range l.pkgs {
			if _, ok := graph[p]; !ok {
				t.Errorf("layer %q names %s, which does not exist", l.name, p)
			}
		}
	}
	for _, msg := range checkLayers(layers, graph) {
		t.Error(msg)
	}
}

// TestCheckLayers: the check itself finds an upward import, an undeclared
// sideways one and a package without a layer, and passes the allowed ones.
func TestCheckLayers(t *testing.T) {
	ls := []layer{
		{name: "low", pkgs: []string{"internal/a", "internal/b"}, peers: []string{"internal/b -> internal/a"}},
		{name: "high", pkgs: []string{"internal/c", "internal/d"}},
	}
	cases := []struct {
		name  string
		graph map[string][]string
		want  string // a part of the single message; "" for none
	}{
		{"downward and declared peer", map[string][]string{"internal/c": {"internal/a", "k8s.io/x"}, "internal/b": {"internal/a"}}, ""},
		{"upward", map[string][]string{"internal/a": {"internal/c"}}, "internal/a (layer \"low\") imports internal/c (layer \"high\"): an import upward"},
		{"undeclared peer", map[string][]string{"internal/d": {"internal/c"}}, "internal/d imports internal/c, both in layer \"high\""},
		{"peer the other way", map[string][]string{"internal/a": {"internal/b"}}, "internal/a imports internal/b"},
		{"no layer", map[string][]string{"internal/e": nil}, "internal/e is in no layer"},
		{"hack may import anything", map[string][]string{"hack/x": {"internal/c"}}, ""},
	}
	for _, c := range cases {
		got := checkLayers(ls, c.graph)
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s: %v", c.name, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
			t.Errorf("%s: got %v, want one message with %q", c.name, got, c.want)
		}
	}
}
