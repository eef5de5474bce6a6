// Package chartfetch turns a component's package, named by pkgName (a file
// in the chart directory) or by chart (a chart in a registry), into a loaded
// chart. Both go through the same bounded loader (chartpkg): a pulled
// package is loaded from chartsource's cache exactly as a local one is, so
// every bound of a local package applies to it. The agent and the CLI share
// it; only where credentials come from differs (Secrets).
package chartfetch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// ErrCredentials is wrapped by a failure to read a Secret a chart names.
var ErrCredentials = errors.New("chart credentials unavailable")

// ErrVerifyUnsupported is wrapped when a chart asks for a signature check
// this build cannot make: such a chart is never installed unverified.
var ErrVerifyUnsupported = errors.New("signature verification is not supported by this build")

// Fetcher loads components' packages. Local loads pkgName; Puller (nil:
// charts by source are refused) pulls charts into its cache, which pulled
// loads from.
type Fetcher struct {
	local  *chartpkg.Loader
	puller *chartsource.Puller
	pulled *chartpkg.Loader
	login  Login
	who    string

	// RangeTTL, when positive, is how long a range's resolution is reused
	// for the same component, chart and epoch before the source is asked
	// again (the agent's --chart-poll-interval); 0 asks every time.
	RangeTTL time.Duration

	mu      sync.Mutex
	ranges  map[string]resolvedRange // by rangeKey
	loaded  map[string]string        // component -> package file it loaded from the cache
	nowFunc func() time.Time
}

// New returns a Fetcher. puller may be nil (who then names the reader that
// cannot pull, for its message); lim bounds pulled packages as local ones.
func New(local *chartpkg.Loader, puller *chartsource.Puller, login Login, lim limits.Limits, who string) *Fetcher {
	f := &Fetcher{local: local, puller: puller, login: login, who: who,
		ranges: map[string]resolvedRange{}, loaded: map[string]string{}, nowFunc: time.Now}
	if puller != nil {
		f.pulled = chartpkg.NewLoader(filepath.Join(puller.Cache.Dir, "packages"), lim)
	}
	return f
}

// Fetched is a loaded package and, for a chart by source, what it was
// resolved to.
type Fetched struct {
	// Package is the loaded package (the caller's own chart).
	Package *chartpkg.Package
	// Version and Digest are the resolved version and the package's
	// sha256; both empty for pkgName.
	Version, Digest string
	// SourceErr is set when the package is the last one resolved for a
	// range because the source failed now.
	SourceErr error
	// Range tells that chart.version is a range, so it is resolved again
	// every poll interval.
	Range bool
}

// Fetch loads the package of component name: pkgName from the chart
// directory, or chart pulled (or served from the cache) and loaded with the
// same bounds. The chart's metadata gets hotplugv1.ChartDigestAnnotation.
// Errors name the component's field, the reference and, for credentials,
// the Secret. It is FetchAt with no epoch.
func (f *Fetcher) Fetch(ctx context.Context, name, pkgName string, chart *hotplugv1.ChartSource) (Fetched, error) {
	return f.FetchAt(ctx, name, pkgName, chart, "")
}

// FetchAt is Fetch where a range resolved within RangeTTL for the same
// component, chart and epoch (the agent: the generations of the Hotplugs)
// is served as that exact version from the cache: a range is asked for
// again every RangeTTL and whenever the epoch changes, not on every look.
func (f *Fetcher) FetchAt(ctx context.Context, name, pkgName string, chart *hotplugv1.ChartSource, epoch string) (Fetched, error) {
	if chart == nil {
		pkg, err := f.local.Load(pkgName)
		return Fetched{Package: pkg}, err
	}
	if f.puller == nil {
		return Fetched{}, chartpkg.SourceNotSupported(name, f.who)
	}
	src := Source(chart)
	if chart.Verify != nil && chart.Verify.Provider != "" {
		key, err := f.login.VerifyKey(ctx, chart)
		if err != nil {
			return Fetched{}, fmt.Errorf("component %s: %w", name, err)
		}
		switch chart.Verify.Provider {
		case hotplugv1.VerifyHelm:
			src.Keyring = key
		case hotplugv1.VerifyCosign:
			src.CosignKey = key
		default:
			return Fetched{}, fmt.Errorf("component %s: chart.verify.provider %q: %w (cosign and helm are)", name, chart.Verify.Provider, ErrVerifyUnsupported)
		}
	}
	creds, from, err := f.login.Credentials(ctx, chart)
	if err != nil {
		return Fetched{}, fmt.Errorf("component %s: %w", name, err)
	}
	isRange := !chartsource.Exact(src.Version) && src.Digest == ""
	key := rangeKey(name, src, chart, epoch)
	if isRange {
		if v, ok := f.recentRange(key); ok {
			src.Version = v // served from the cache, as an exact version is
		}
	}
	got, err := f.puller.Pull(ctx, src, creds)
	if err != nil {
		return Fetched{}, explain(name, from, err)
	}
	if isRange && got.SourceErr == nil && !chartsource.Exact(src.Version) {
		f.rememberRange(key, got.Version)
	}
	file := filepath.Base(got.Path)
	pkg, err := f.pulled.Load(file)
	if err != nil {
		return Fetched{}, fmt.Errorf("component %s: chart %s %s: %w", name, chart.Name, got.Version, err)
	}
	if pkg.Key != got.Digest {
		// The loader hashes what it reads: a cached file that is not the
		// package its name says (damaged, replaced) is never installed.
		return Fetched{}, fmt.Errorf("component %s: chart %s %s: the cached package %s holds %s", name, chart.Name, got.Version, file, pkg.Key)
	}
	f.track(name, file)
	if pkg.Chart.Metadata != nil {
		if pkg.Chart.Metadata.Annotations == nil {
			pkg.Chart.Metadata.Annotations = map[string]string{}
		}
		pkg.Chart.Metadata.Annotations[hotplugv1.ChartDigestAnnotation] = got.Digest
	}
	out := Fetched{Package: pkg, Version: got.Version, Digest: got.Digest, Range: isRange}
	if got.SourceErr != nil {
		out.SourceErr = explain(name, from, got.SourceErr)
	}
	return out, nil
}

// Source is the puller's view of a chart.
func Source(c *hotplugv1.ChartSource) chartsource.Source {
	return chartsource.Source{Repository: c.Repository, Name: c.Name, Version: c.Version, Digest: c.Digest,
		Insecure: c.Insecure != nil && *c.Insecure}
}

// explain prefixes a source failure with the component and, when the
// registry refused the login, where the credentials came from.
func explain(name, from string, err error) error {
	if errors.Is(err, chartsource.ErrUnauthorized) {
		if from == "" {
			from = "anonymous: no credentials"
		}
		return fmt.Errorf("component %s: %w (%s)", name, err, from)
	}
	return fmt.Errorf("component %s: %w", name, err)
}

// IsSourceFailure tells whether err is about reaching or trusting the
// chart's source (registry, repository, credentials, signature), as opposed
// to the package itself or the configuration: a running release is kept
// through it.
func IsSourceFailure(err error) bool {
	var se *chartsource.Error
	if errors.Is(err, chartsource.ErrTooLarge) || errors.Is(err, chartsource.ErrDigestMismatch) || errors.Is(err, chartsource.ErrSignature) {
		return false // the package is wrong (or untrusted), not the way to it
	}
	return errors.As(err, &se) || errors.Is(err, ErrCredentials)
}
