package chartpkg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadName checks that Load never panics and never yields anything from
// outside dir: every chart outside dir is named "outside", every chart inside
// dir is not.
func FuzzLoadName(f *testing.F) {
	for _, seed := range []string{
		"good-1.0.0.tgz", "chartdir", "../../etc/passwd", "/etc/passwd", "escape.tgz",
		"escapedir/secret.tgz", "escapedir/chart", "evildir", "sub/link/good-1.0.0.tgz",
		"sub/link/../outside/secret.tgz", "./../outside/chart", "..", ".", "", "corrupt.tgz",
		"good-1.0.0.tgz/", "sub//link///good-1.0.0.tgz", "..\\outside\\secret.tgz", "a\x00b",
	} {
		f.Add(seed)
	}
	dir, outside := layout(f)
	f.Fuzz(func(t *testing.T, name string) {
		ch, err := Load(dir, name)
		if err != nil {
			if ch != nil {
				t.Fatalf("Load(%q) returned a chart and an error", name)
			}
			return
		}
		if ch == nil || ch.Metadata == nil {
			t.Fatalf("Load(%q) returned no chart and no error", name)
		}
		if ch.Name() == "outside" {
			t.Fatalf("Load(%q) read a chart from outside dir", name)
		}
		for _, tpl := range ch.Templates {
			if strings.Contains(string(tpl.Data), "\x1f\x8b") { // the gzip bytes of outside/secret.tgz
				t.Fatalf("Load(%q) pulled a file from outside dir into %s", name, tpl.Name)
			}
		}
		if strings.Contains(name, "..") && !errors.Is(err, ErrUnsafeName) {
			for _, elem := range strings.Split(filepath.ToSlash(name), "/") {
				if elem == ".." {
					t.Fatalf("Load(%q) accepted a \"..\" element", name)
				}
			}
		}
		if _, err := os.Stat(outside); err != nil {
			t.Fatal(err)
		}
	})
}
