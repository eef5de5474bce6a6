package chartsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Defaults of a Puller's zero fields.
const (
	// DefaultMaxIndexBytes caps an index.yaml.
	DefaultMaxIndexBytes = 32 << 20
	// DefaultRequestTimeout is the deadline of one request.
	DefaultRequestTimeout = 30 * time.Second
)

// Puller resolves and pulls chart packages into its Cache. It is safe for
// concurrent use; concurrent pulls of one digest download it once.
type Puller struct {
	// Cache holds the packages; required.
	Cache *Cache
	// MaxPackageBytes bounds a package as published (the OCI layer size
	// from the manifest is checked before the download); 0 means
	// limits.DefaultChartBytes.
	MaxPackageBytes int64
	// MaxIndexBytes caps an index.yaml; 0 means DefaultMaxIndexBytes.
	MaxIndexBytes int64
	// RequestTimeout is the deadline of each request; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration

	flight   singleflight.Group
	verified sync.Map // verifyProvenance's successes
}

// Resolved is a source resolved to one version and, when the registry or
// the index says, the package's digest.
type Resolved struct {
	// Version is the version picked.
	Version string
	// Digest is sha256:<hex> of the package; "" when an index has none.
	Digest string
	// location is the OCI reference with its tag, or the package URL.
	location string
	// size is the layer size from the manifest (0: unknown).
	size int64
}

// Package is a pulled package in the cache.
type Package struct {
	// Path is the package file in the cache.
	Path string
	// Digest is sha256:<hex> of the file.
	Digest string
	// Version is the version it was resolved as ("" when served by
	// digest alone).
	Version string
	// Cached tells that nothing was downloaded.
	Cached bool
	// SourceErr, when set, is why the source could not be asked: the
	// package is the highest cached version that src's range was resolved
	// to before (see Pull), so what runs keeps running.
	SourceErr error
}

func (p *Puller) maxPackage() int64 {
	if p.MaxPackageBytes > 0 {
		return p.MaxPackageBytes
	}
	return limits.DefaultChartBytes
}

func (p *Puller) maxIndex() int64 {
	if p.MaxIndexBytes > 0 {
		return p.MaxIndexBytes
	}
	return DefaultMaxIndexBytes
}

func (p *Puller) timeout() time.Duration {
	if p.RequestTimeout > 0 {
		return p.RequestTimeout
	}
	return DefaultRequestTimeout
}

// httpClient returns a client with creds' TLS and a deadline per request.
func (p *Puller) httpClient(creds Credentials) (*http.Client, error) {
	conf, err := creds.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	return &http.Client{Transport: tr, Timeout: p.timeout()}, nil
}

// Resolve picks the version of src (the highest match of a range, listing
// the OCI tags or reading index.yaml) and its digest, downloading no
// package. A digest pin that differs from the resolved digest is refused
// with ErrDigestMismatch naming both.
func (p *Puller) Resolve(ctx context.Context, src Source, creds Credentials) (Resolved, error) {
	if err := Validate(src); err != nil {
		return Resolved{}, err
	}
	r, err := p.resolve(ctx, src, creds)
	if err != nil {
		return Resolved{}, classify(err, reference(src), creds.secrets(repositoryHost(src.Repository)))
	}
	if src.Digest != "" && r.Digest != "" && r.Digest != src.Digest {
		return Resolved{}, &Error{Class: ErrDigestMismatch, Ref: reference(src),
			Detail: fmt.Sprintf("pinned %s, version %s is %s", src.Digest, r.Version, r.Digest)}
	}
	return r, nil
}

// resolve is Resolve without validation, classification and pin check.
func (p *Puller) resolve(ctx context.Context, src Source, creds Credentials) (Resolved, error) {
	hc, err := p.httpClient(creds)
	if err != nil {
		return Resolved{}, err
	}
	if isOCI(src.Repository) {
		client, err := p.registryClient(src, creds, hc)
		if err != nil {
			return Resolved{}, err
		}
		return p.ociResolve(client, src)
	}
	return p.repoResolve(ctx, hc, src, creds)
}

// Pull returns src's package from the cache or downloads it. A digest pin
// or an exact version already cached (remembered on disk) is served with no
// request; otherwise src is resolved, and a digest already cached is served
// without a download. Concurrent pulls of one digest download once.
//
// With src.Keyring the package is served only once its Helm provenance
// verifies (verifyProvenance), with src.CosignKey once a cosign signature
// of its manifest does (verifyCosign), whether it was downloaded now or
// cached.
func (p *Puller) Pull(ctx context.Context, src Source, creds Credentials) (Package, error) {
	pkg, err := p.pullUnverified(ctx, src, creds)
	if err != nil {
		return pkg, err
	}
	switch {
	case len(src.Keyring) > 0:
		err = p.verifyProvenance(ctx, src, creds, pkg)
	case len(src.CosignKey) > 0:
		err = p.verifyCosign(ctx, src, creds, pkg)
	}
	if err != nil {
		pulls.WithLabelValues(resultLabel(err)).Inc()
		return Package{}, err
	}
	return pkg, nil
}

// pullUnverified is Pull without the provenance check.
func (p *Puller) pullUnverified(ctx context.Context, src Source, creds Credentials) (Package, error) {
	if err := Validate(src); err != nil {
		return Package{}, err
	}
	if pkg, ok := p.cached(src); ok {
		cacheHits.Inc()
		return pkg, nil
	}
	start := time.Now()
	pkg, err := p.pull(ctx, src, creds)
	if pkg.Cached {
		cacheHits.Inc()
		return pkg, nil
	}
	pulls.WithLabelValues(resultLabel(err)).Inc()
	if err == nil {
		pullDuration.Observe(time.Since(start).Seconds())
		return pkg, nil
	}
	if stale, ok := p.lastResolved(src, err); ok {
		cacheHits.Inc()
		return stale, nil
	}
	return pkg, err
}

// lastResolved serves a range whose source failed (unreachable, refused,
// not found) from the highest version this cache resolved it to before,
// with the failure in SourceErr: a registry outage or an agent restart
// during one must not take a release back or away. A digest mismatch or a
// package over its bound is never worked around.
func (p *Puller) lastResolved(src Source, err error) (Package, bool) {
	if src.Digest != "" || exactVersion(src.Version) || errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrTooLarge) {
		return Package{}, false
	}
	seen := p.Cache.Versions(src.Repository, src.Name)
	version, perr := pickVersion(slices.Collect(maps.Keys(seen)), src.Version)
	if perr != nil {
		return Package{}, false
	}
	path, ok := p.Cache.Lookup(seen[version])
	if !ok {
		return Package{}, false
	}
	return Package{Path: path, Digest: seen[version], Version: version, Cached: true, SourceErr: err}, true
}

// cached serves src without a request from the versions this cache saw
// resolved (see fromCache).
func (p *Puller) cached(src Source) (Package, bool) {
	version, digest, ok := fromCache(p.Cache.Versions(src.Repository, src.Name), src)
	if !ok {
		return Package{}, false
	}
	path, ok := p.Cache.Lookup(digest)
	return Package{Path: path, Digest: digest, Version: version, Cached: true}, ok
}

// fromCache picks, from the versions of src's chart resolved before
// (version -> digest), what src names without asking the repository: the
// pinned digest when a version it was resolved as satisfies src.Version (so
// a pin never hides a version mismatch), else the digest of an exact
// version. A range without a pin always asks. It is pure.
func fromCache(seen map[string]string, src Source) (version, digest string, ok bool) {
	if src.Digest != "" {
		var candidates []string
		for v, d := range seen {
			if d == src.Digest {
				candidates = append(candidates, v)
			}
		}
		v, err := pickVersion(candidates, src.Version)
		return v, src.Digest, err == nil
	}
	if !exactVersion(src.Version) {
		return "", "", false
	}
	d, ok := seen[src.Version]
	return src.Version, d, ok
}

// pull resolves src and downloads its package unless its digest is cached.
func (p *Puller) pull(ctx context.Context, src Source, creds Credentials) (Package, error) {
	r, err := p.Resolve(ctx, src, creds)
	if err != nil {
		return Package{}, err
	}
	if r.Digest != "" {
		if path, ok := p.Cache.Lookup(r.Digest); ok {
			p.remember(src, r)
			return Package{Path: path, Digest: r.Digest, Version: r.Version, Cached: true}, nil
		}
	}
	key := r.Digest
	if key == "" {
		key = "url:" + r.location
	}
	leader := false
	v, err, _ := p.flight.Do(key, func() (any, error) {
		leader = true
		return p.download(ctx, src, creds, r)
	})
	if err != nil {
		return Package{}, classify(err, reference(src), creds.secrets(repositoryHost(src.Repository)))
	}
	pkg := v.(Package)
	pkg.Cached = pkg.Cached || !leader // another pull downloaded it
	if src.Digest != "" && pkg.Digest != src.Digest {
		// Another caller's download (keyed by URL when the index has no
		// digest) is checked against this caller's pin too.
		return Package{}, &Error{Class: ErrDigestMismatch, Ref: reference(src), Detail: fmt.Sprintf("expected %s, the package downloaded is %s", src.Digest, pkg.Digest)}
	}
	r.Digest = pkg.Digest
	p.remember(src, r)
	return pkg, nil
}

// download fetches r's package, checks its digest against r and the pin,
// and stores it.
func (p *Puller) download(ctx context.Context, src Source, creds Credentials, r Resolved) (Package, error) {
	if r.Digest != "" {
		if path, ok := p.Cache.Lookup(r.Digest); ok { // a concurrent flight stored it
			return Package{Path: path, Digest: r.Digest, Version: r.Version, Cached: true}, nil
		}
	}
	hc, err := p.httpClient(creds)
	if err != nil {
		return Package{}, err
	}
	var data []byte
	if isOCI(src.Repository) {
		client, cerr := p.registryClient(src, creds, hc)
		if cerr != nil {
			return Package{}, cerr
		}
		data, err = p.ociDownload(client, src, r)
	} else {
		data, err = p.get(ctx, hc, r.location, src, creds, p.maxPackage(), ErrTooLarge)
	}
	if err != nil {
		return Package{}, err
	}
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	for _, want := range []string{r.Digest, src.Digest} {
		if want != "" && want != digest {
			return Package{}, &Error{Class: ErrDigestMismatch, Ref: reference(src), Detail: fmt.Sprintf("expected %s, the package downloaded is %s", want, digest)}
		}
	}
	path, err := p.Cache.Store(digest, data)
	if err != nil {
		return Package{}, err
	}
	return Package{Path: path, Digest: digest, Version: r.Version}, nil
}

// remember records the digest a version resolved to, so a restart pulls
// nothing for that exact version or a pin on that digest.
func (p *Puller) remember(src Source, r Resolved) {
	if r.Digest != "" && r.Version != "" {
		_ = p.Cache.Remember(src.Repository, src.Name, r.Version, r.Digest)
	}
}
