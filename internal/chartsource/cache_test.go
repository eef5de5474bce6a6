package chartsource

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// digestN is a made-up digest for tests.
func digestN(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// TestEvictions: least recently used first, until the rest fit; kept
// digests are skipped even when that leaves the cache over its bound.
func TestEvictions(t *testing.T) {
	t0 := time.Now()
	files := []cachedFile{
		{digestN(1), 10, t0.Add(3 * time.Second)},
		{digestN(2), 10, t0.Add(1 * time.Second)},
		{digestN(3), 10, t0.Add(2 * time.Second)},
		{digestN(4), 10, t0.Add(4 * time.Second)},
	}
	none := func(string) bool { return false }
	cases := []struct {
		max  int64
		kept func(string) bool
		want []string
	}{
		{40, none, nil},
		{30, none, []string{digestN(2)}},
		{15, none, []string{digestN(2), digestN(3), digestN(1)}},
		{30, func(d string) bool { return d == digestN(2) }, []string{digestN(3)}},
		{0, func(string) bool { return true }, nil},
	}
	for i, c := range cases {
		if got := evictions(files, c.max, c.kept); !slices.Equal(got, c.want) {
			t.Errorf("case %d: evictions = %v, want %v", i, got, c.want)
		}
	}
}

// TestCacheLRUWithPins: on disk, storing past MaxBytes removes the least
// recently used package, never a pinned one nor one InUse reports, and a
// Lookup counts as a use.
func TestCacheLRUWithPins(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Dir: dir, MaxBytes: 250}
	inUse := digestN(9)
	c.InUse = func(d string) bool { return d == inUse }
	data := []byte(strings.Repeat("x", 100))
	store := func(n int, age time.Duration) {
		t.Helper()
		p, err := c.Store(digestN(n), data)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		_ = os.Chtimes(p, old, old)
	}
	has := func(n int) bool { _, err := os.Stat(c.path(digestN(n))); return err == nil }
	store(1, 5*time.Hour)
	c.Pin(digestN(1))
	store(2, 4*time.Hour)
	store(3, 3*time.Hour) // 300 bytes: 2 is the oldest not pinned
	if !has(1) || has(2) || !has(3) {
		t.Fatalf("after storing 3: 1=%v 2=%v 3=%v, want 2 evicted, pinned 1 kept", has(1), has(2), has(3))
	}
	c.Unpin(digestN(1))
	if _, ok := c.Lookup(digestN(1)); !ok { // 1 (5h old) becomes the most recently used
		t.Fatal("lookup of 1")
	}
	store(4, 0)
	if !has(1) || has(3) || !has(4) {
		t.Fatalf("after storing 4: 1=%v 3=%v 4=%v, want 3 (least recently used) evicted", has(1), has(3), has(4))
	}
	// InUse keeps a package regardless of its age.
	p, _ := c.Store(inUse, data)
	old := time.Now().Add(-100 * time.Hour)
	_ = os.Chtimes(p, old, old)
	store(5, 0)
	store(6, 0)
	if !has(9) {
		t.Fatal("a package InUse reports was evicted")
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "packages"))
	if len(ents) > 3 {
		t.Fatalf("%d packages left, want at most 3 (2 fit, plus the one in use)", len(ents))
	}
}
