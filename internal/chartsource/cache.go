package chartsource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Cache keeps chart packages on disk by digest (Dir/packages/sha256-<hex>.tgz)
// and, per repository and chart, which digest each exact version resolved to
// (Dir/versions/<key>.json), so a restarted process pulls nothing for an
// exact version or a digest. Use is recorded as the file's mtime; beyond
// MaxBytes the least recently used packages are removed, except pinned ones
// and those InUse reports.
type Cache struct {
	// Dir is the cache's directory; it is created when missing.
	Dir string
	// MaxBytes bounds the packages' total size; 0 means no bound. A cache
	// whose packages are all in use may stay over it.
	MaxBytes int64
	// InUse, when set, reports digests that must not be evicted (e.g. the
	// package a running release came from).
	InUse func(digest string) bool

	mu   sync.Mutex
	pins map[string]int
}

// Pin keeps digest from eviction until a matching Unpin.
func (c *Cache) Pin(digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pins == nil {
		c.pins = map[string]int{}
	}
	c.pins[digest]++
}

// Unpin releases one Pin of digest.
func (c *Cache) Unpin(digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pins[digest] <= 1 {
		delete(c.pins, digest)
		return
	}
	c.pins[digest]--
}

// kept tells whether digest must survive eviction; c.mu is held.
func (c *Cache) kept(digest string) bool {
	return c.pins[digest] > 0 || (c.InUse != nil && c.InUse(digest))
}

// path returns the file of a digest (validated as sha256:<64 hex>).
func (c *Cache) path(digest string) string {
	return filepath.Join(c.Dir, "packages", "sha256-"+strings.TrimPrefix(digest, "sha256:")+".tgz")
}

// Lookup returns the path of digest's package when cached and marks it
// used now (to the minute).
func (c *Cache) Lookup(digest string) (string, bool) {
	if !digestRE.MatchString(digest) {
		return "", false
	}
	p := c.path(digest)
	info, err := os.Stat(p)
	if err != nil {
		return "", false
	}
	// At most one touch a minute: a reader keying on the file's stat
	// (chartpkg.Loader) should not see a new file on every lookup.
	if now := time.Now(); now.Sub(info.ModTime()) > useResolution {
		_ = os.Chtimes(p, now, now)
	}
	return p, true
}

// useResolution is how finely Lookup records use for eviction.
const useResolution = time.Minute

// Store writes data as digest's package (atomically), then evicts beyond
// MaxBytes, never digest itself; it returns the package's path.
func (c *Cache) Store(digest string, data []byte) (string, error) {
	if !digestRE.MatchString(digest) {
		return "", fmt.Errorf("cache: %q is not a sha256 digest", digest)
	}
	p := c.path(digest)
	if err := writeAtomic(p, data); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictLocked(digest)
	return p, nil
}

// evictLocked removes least recently used packages until the cache fits
// MaxBytes; keep and kept digests stay.
func (c *Cache) evictLocked(keep string) {
	if c.MaxBytes <= 0 {
		return
	}
	dir := filepath.Join(c.Dir, "packages")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var files []cachedFile
	for _, e := range ents {
		hex, ok := strings.CutPrefix(strings.TrimSuffix(e.Name(), ".tgz"), "sha256-")
		info, err := e.Info()
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".tgz") {
			continue
		}
		files = append(files, cachedFile{digest: "sha256:" + hex, size: info.Size(), used: info.ModTime()})
	}
	for _, d := range evictions(files, c.MaxBytes, func(d string) bool { return d == keep || c.kept(d) }) {
		_ = os.Remove(c.path(d))
		_ = os.Remove(c.path(d) + ".prov")
		_ = os.Remove(c.path(d) + ".cosign")
	}
}

// versionsFile is the file remembering exact versions of one chart of one
// repository.
func (c *Cache) versionsFile(repository, name string) string {
	sum := sha256.Sum256([]byte(strings.TrimSuffix(repository, "/") + "\x00" + name))
	return filepath.Join(c.Dir, "versions", hex.EncodeToString(sum[:16])+".json")
}

// Versions returns the versions of repository/name resolved before and
// their digests (a copy; empty when none).
func (c *Cache) Versions(repository, name string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readVersions(repository, name)
}

// Remember records that a version of repository/name is digest.
func (c *Cache) Remember(repository, name, version, digest string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.readVersions(repository, name)
	if m[version] == digest {
		return nil
	}
	m[version] = digest
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(c.versionsFile(repository, name), data)
}

// readVersions reads a versions file; a missing or damaged one is empty.
func (c *Cache) readVersions(repository, name string) map[string]string {
	m := map[string]string{}
	if data, err := os.ReadFile(c.versionsFile(repository, name)); err == nil && json.Unmarshal(data, &m) != nil {
		m = map[string]string{}
	}
	return m
}

// writeAtomic writes data to path through a temporary file and a rename,
// so a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp, err := writeTemp(filepath.Dir(path), ".tmp-*", data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes data to a new file in dir (created when missing) named
// by pattern, and returns its path; nothing is left behind on failure.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
