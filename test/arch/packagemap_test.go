package arch

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// packageRef is a package named in the map: `internal/<path>` in backquotes.
var packageRef = regexp.MustCompile("`(internal/[a-z0-9/_]+)`")

// mapped returns the internal/ packages that a Markdown file's package
// table (the rows under the heading, up to the next heading) names in its
// column col (1 is the first).
func mapped(md, heading string, col int) []string {
	_, table, _ := strings.Cut(md, "\n"+heading+"\n")
	table, _, _ = strings.Cut(table, "\n## ")
	var out []string
	for line := range strings.SplitSeq(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < col+2 {
			continue
		}
		for _, m := range packageRef.FindAllStringSubmatch(cells[col], -1) {
			out = append(out, strings.TrimSuffix(m[1], "/"))
		}
	}
	return out
}

// goPackages returns every directory under root/internal holding a Go
// file, relative to root.
func goPackages(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPackageMap: the package tables of AGENTS.md (for contributors) and
// docs/architecture.md (by layer, for readers) name every package under
// internal/, and no package that is gone.
func TestPackageMap(t *testing.T) {
	root := filepath.Join("..", "..")
	pkgs := goPackages(t, root)
	if len(pkgs) < 20 {
		t.Fatalf("found %d packages under internal/", len(pkgs))
	}
	for _, m := range []struct {
		file, heading string
		col           int
	}{
		{"AGENTS.md", "## Packages", 1},
		{"docs/architecture.md", "## Packages by layer", 2},
	} {
		md, err := os.ReadFile(filepath.Join(root, m.file))
		if err != nil {
			t.Fatal(err)
		}
		named := mapped(string(md), m.heading, m.col)
		for _, p := range pkgs {
			if !slices.Contains(named, p) {
				t.Errorf("%s is not in the package table of %s: add a row saying what it does", p, m.file)
			}
		}
		for _, p := range named {
			if !slices.Contains(pkgs, p) {
				t.Errorf("%s's package table names %s, which does not exist", m.file, p)
			}
		}
	}
}

// TestMapped: only the package column of the table counts, rows with
// several packages name each, and text outside the table does not count.
func TestMapped(t *testing.T) {
	md := "# x\n\n`internal/prose`\n\n## Packages\n\n| package | job |\n| --- | --- |\n" +
		"| `internal/a` | uses `internal/b` |\n| `internal/c`, `internal/d/e` | x |\n\n## Rules\n\n| `internal/later` | y |\n"
	got := mapped(md, "## Packages", 1)
	want := []string{"internal/a", "internal/c", "internal/d/e"}
	if !slices.Equal(got, want) {
		t.Errorf("mapped = %v, want %v", got, want)
	}
}
