package chartpkg

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Loader loads chart packages from one directory within limits, and keeps
// the latest load of every package name so that an unchanged package is not
// read into Helm again. It is safe for concurrent use; loads of one name
// wait for each other, loads of different names run in parallel.
type Loader struct {
	dir string
	lim limits.Limits

	mu      sync.Mutex
	entries map[string]*cacheEntry // by pkgName; one entry each

	// helmLoads counts packages handed to Helm's loader; tests read it.
	helmLoads atomic.Int64
	// fileReads counts package files read and hashed; tests read it.
	fileReads atomic.Int64
}

// cacheEntry is the latest load of one package name.
type cacheEntry struct {
	mu   sync.Mutex
	key  string // content key of what pkg or err came from; "" is none
	stat string // fileStatKey of the file key was read from; "" is none
	pkg  *Package
	err  error
}

// Package is a loaded chart package.
type Package struct {
	// Chart is the caller's own copy (see Clone): it may be handed to Helm,
	// which changes charts in place, without affecting other callers.
	Chart *chartv2.Chart
	// Key identifies the package content it was loaded from: "sha256:" and
	// the hex sha256 of a .tgz file's bytes, or "dir:" and a hash of a chart
	// directory's paths, sizes, modification times and modes.
	Key string

	state  []byte         // chartState of the chart as loaded
	loaded *chartv2.Chart // the chart as loaded, never given out
}

// Digest returns Digest(chart as loaded, values) without hashing the chart
// again. Changes a caller made to p.Chart do not enter it.
func (p *Package) Digest(values map[string]any) string {
	return digestFrom(p.state, p.loaded, values)
}

// NewLoader returns a Loader for the packages in dir, bounded by lim (zero
// fields take their defaults).
func NewLoader(dir string, lim limits.Limits) *Loader {
	return &Loader{dir: dir, lim: lim.Normalize(), entries: map[string]*cacheEntry{}}
}

// Load loads pkgName (a .tgz file or a chart directory) from inside the
// Loader's directory, with the path safety of the package-level Load.
//
// Before Helm's loader sees anything, the package is scanned as a stream:
// its decompressed bytes and entries (nested subchart packages included,
// in one budget, nested at most maxNesting deep), the length of every path,
// and the expanded size of every YAML file Helm parses are bounded by the
// Loader's limits; an excess is an error naming the package, the limit and
// its flag, wrapping limits.ErrExceeded.
//
// A .tgz file whose stat key (device, inode, size, modification and change
// time) is what the previous Load of pkgName saw is not read again: the
// previous result (chart or error) is returned. Otherwise it is read and
// hashed, and if its content is what the previous Load read, the previous
// result is still returned without scanning or parsing again. A chart
// directory is keyed by a stat walk. Only the latest result per name is
// kept.
func (l *Loader) Load(pkgName string) (*Package, error) {
	pkg, err := l.load(pkgName)
	if err != nil {
		return nil, fmt.Errorf("load chart package %q from %q: %w", pkgName, l.dir, err)
	}
	return pkg, nil
}

func (l *Loader) load(pkgName string) (*Package, error) {
	path, info, err := resolve(l.dir, pkgName)
	if err != nil {
		return nil, err
	}
	e := l.entry(pkgName)
	e.mu.Lock()
	defer e.mu.Unlock()

	if info.IsDir() {
		key, err := dirKey(path, l.lim.ChartFiles, l.lim.ChartNameBytes)
		if err == nil && key != "" && e.key == "dir:"+key && e.pkg != nil {
			return e.pkg.copy(), nil
		}
		pkg, lerr := l.loadDir(path)
		if lerr != nil {
			// Not cached: reading a directory twice may fail differently.
			return nil, lerr
		}
		if err == nil {
			pkg.Key = "dir:" + key
			e.key, e.pkg, e.err = pkg.Key, pkg, nil
		}
		return pkg.copy(), nil
	}

	stat := fileStatKey(info)
	if stat == "" || stat != e.stat {
		data, err := readPackage(path, info, l.lim.ChartBytes)
		if err != nil {
			return nil, err
		}
		l.fileReads.Add(1)
		sum := sha256.Sum256(data)
		key := "sha256:" + hex.EncodeToString(sum[:])
		if e.key != key {
			pkg, err := l.loadArchive(data)
			if pkg != nil {
				pkg.Key = key
			}
			e.key, e.pkg, e.err = key, pkg, err
		}
		e.stat = stat
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.pkg.copy(), nil
}

// Forget drops what the Loader keeps of pkgName (its latest load), so a
// package that is no longer used is not held in memory.
func (l *Loader) Forget(pkgName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, pkgName)
}

// entry returns the cache entry of pkgName, creating it.
func (l *Loader) entry(pkgName string) *cacheEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[pkgName]
	if !ok {
		e = &cacheEntry{}
		l.entries[pkgName] = e
	}
	return e
}

// loadArchive scans data, a .tgz package, and only then parses it with Helm.
func (l *Loader) loadArchive(data []byte) (*Package, error) {
	if err := newScanner(l.lim).archive(bytes.NewReader(data), "", 0); err != nil {
		return nil, err
	}
	l.helmLoads.Add(1)
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return newPackage(ch), nil
}

// loadDir scans the chart directory path and only then loads it with Helm.
func (l *Loader) loadDir(path string) (*Package, error) {
	if err := newScanner(l.lim).dir(path); err != nil {
		return nil, err
	}
	l.helmLoads.Add(1)
	ch, err := loader.LoadDir(path)
	if err != nil {
		return nil, err
	}
	return newPackage(ch), nil
}

// newPackage wraps a freshly loaded chart for the cache.
func newPackage(ch *chartv2.Chart) *Package {
	return &Package{Chart: ch, loaded: ch, state: chartState(ch)}
}

// copy returns what a caller gets: the cached package with its own chart.
func (p *Package) copy() *Package {
	c := *p
	c.Chart = Clone(p.loaded)
	return &c
}

// readPackage reads a package file of at most maxBytes: a package larger
// than its decompressed limit cannot pass the scan.
func readPackage(path string, info fs.FileInfo, maxBytes int64) ([]byte, error) {
	if info.Size() > maxBytes {
		return nil, limits.Exceeded("package file size", info.Size(), maxBytes, limits.FlagChartBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open package: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read package: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, limits.Exceeded("package file size", -1, maxBytes, limits.FlagChartBytes)
	}
	if len(data) == 0 {
		return nil, errors.New("package file is empty")
	}
	return data, nil
}
