package chartpkg

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// layout builds:
//
//	<tmp>/outside/             chart/ and secret.tgz, both charts named "outside"
//	<tmp>/pkgs/                dir, holding:
//	  good-1.0.0.tgz           a valid package
//	  corrupt.tgz              random bytes
//	  chartdir/                a valid chart directory (copy of test/charts/configmap)
//	  escape.tgz -> ../outside/secret.tgz
//	  escapedir -> ../outside
//	  sub/link -> ..           (a parent symlink that stays inside)
//	  evildir/                 chart directory with templates/x.yaml -> ../../../outside/secret.tgz
func layout(t testing.TB) (dir, outside string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "pkgs")
	outside = filepath.Join(root, "outside")
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	testcharts.Package(t, "configmap", dir, "good", "1.0.0", "good-1.0.0.tgz")
	testcharts.Package(t, "configmap", outside, "outside", "6.6.6", "secret.tgz")
	copyDir(t, filepath.Join(testcharts.Dir(), "configmap"), filepath.Join(outside, "chart"))
	mustWrite(t, filepath.Join(outside, "chart", "Chart.yaml"), []byte("apiVersion: v2\nname: outside\nversion: 6.6.6\n"))
	copyDir(t, filepath.Join(testcharts.Dir(), "configmap"), filepath.Join(dir, "chartdir"))
	copyDir(t, filepath.Join(testcharts.Dir(), "configmap"), filepath.Join(dir, "evildir"))

	junk := make([]byte, 512)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "corrupt.tgz"), junk)
	mustSymlink(t, "../outside/secret.tgz", filepath.Join(dir, "escape.tgz"))
	mustSymlink(t, "../outside", filepath.Join(dir, "escapedir"))
	mustSymlink(t, "..", filepath.Join(dir, "sub", "link"))
	mustSymlink(t, "../../../outside/secret.tgz", filepath.Join(dir, "evildir", "templates", "x.yaml"))
	return dir, outside
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t testing.TB, oldname, newname string) {
	t.Helper()
	if err := os.Symlink(oldname, newname); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir, _ := layout(t)
	tests := []struct {
		name     string
		pkg      string
		wantName string // chart name on success
		unsafe   bool   // error wraps ErrUnsafeName
		wantErr  []string
	}{
		{name: "tgz", pkg: "good-1.0.0.tgz", wantName: "good"},
		{name: "chart directory", pkg: "chartdir", wantName: "configmap"},
		{name: "through inner symlink", pkg: "sub/link/good-1.0.0.tgz", wantName: "good"},
		{name: "dot slash", pkg: "./good-1.0.0.tgz", wantName: "good"},
		{name: "dotdot traversal", pkg: "../../etc/passwd", unsafe: true},
		{name: "dotdot back inside", pkg: "sub/../good-1.0.0.tgz", unsafe: true},
		{name: "dotdot to sibling", pkg: "../outside/secret.tgz", unsafe: true},
		{name: "absolute", pkg: "/etc/passwd", unsafe: true},
		{name: "empty", pkg: "", unsafe: true},
		{name: "symlink out", pkg: "escape.tgz", unsafe: true},
		{name: "parent symlink out", pkg: "escapedir/secret.tgz", unsafe: true},
		{name: "symlinked dir out", pkg: "escapedir/chart", unsafe: true},
		{name: "dir containing symlink out", pkg: "evildir", unsafe: true},
		{name: "missing", pkg: "nope-1.0.0.tgz", wantErr: []string{"nope-1.0.0.tgz", dir}},
		{name: "corrupt", pkg: "corrupt.tgz", wantErr: []string{"corrupt.tgz", dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := Load(dir, tt.pkg)
			if tt.wantName != "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if ch.Name() != tt.wantName {
					t.Fatalf("chart name = %q, want %q", ch.Name(), tt.wantName)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load(%q) succeeded with chart %q, want error", tt.pkg, ch.Name())
			}
			if ch != nil {
				t.Fatalf("Load returned a chart with an error")
			}
			if got := errors.Is(err, ErrUnsafeName); got != tt.unsafe {
				t.Fatalf("errors.Is(err, ErrUnsafeName) = %v, want %v (err: %v)", got, tt.unsafe, err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}
