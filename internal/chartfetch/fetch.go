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

// Login gives the credentials to pull chart with. Where they come from is
// the caller's: the agent reads chart.secretRef's Secret in its namespace,
// the CLI uses the user's own Helm registry login and CA.
type Login interface {
	// Credentials returns chart's credentials and a short description of
	// where they came from for messages ("" when anonymous); an error names
	// its source and wraps ErrCredentials.
	Credentials(ctx context.Context, chart *hotplugv1.ChartSource) (creds chartsource.Credentials, from string, err error)
	// Keyring returns the OpenPGP keyring that chart.verify (provider
	// helm) checks the package's provenance against; an error names its
	// source and wraps ErrCredentials.
	Keyring(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error)
}

// Fetcher loads components' packages. Local loads pkgName; Puller (nil:
// charts by source are refused) pulls charts into its cache, which pulled
// loads from.
type Fetcher struct {
	local  *chartpkg.Loader
	puller *chartsource.Puller
	pulled *chartpkg.Loader
	login  Login
	who    string
}

// New returns a Fetcher. puller may be nil (who then names the reader that
// cannot pull, for its message); lim bounds pulled packages as local ones.
func New(local *chartpkg.Loader, puller *chartsource.Puller, login Login, lim limits.Limits, who string) *Fetcher {
	f := &Fetcher{local: local, puller: puller, login: login, who: who}
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
// same bounds. The chart's metadata gets hotplugv1.ChartDigestAnnotation. Errors name
// the component's field, the reference and, for credentials, the Secret.
func (f *Fetcher) Fetch(ctx context.Context, name, pkgName string, chart *hotplugv1.ChartSource) (Fetched, error) {
	if chart == nil {
		pkg, err := f.local.Load(pkgName)
		return Fetched{Package: pkg}, err
	}
	if f.puller == nil {
		return Fetched{}, chartpkg.SourceNotSupported(name, f.who)
	}
	src := Source(chart)
	if chart.Verify != nil && chart.Verify.Provider != "" {
		if chart.Verify.Provider != hotplugv1.VerifyHelm {
			return Fetched{}, fmt.Errorf("component %s: chart.verify.provider %s: %w (helm provenance is); remove chart.verify or run an agent that verifies", name, chart.Verify.Provider, ErrVerifyUnsupported)
		}
		ring, err := f.login.Keyring(ctx, chart)
		if err != nil {
			return Fetched{}, fmt.Errorf("component %s: %w", name, err)
		}
		src.Keyring = ring
	}
	creds, from, err := f.login.Credentials(ctx, chart)
	if err != nil {
		return Fetched{}, fmt.Errorf("component %s: %w", name, err)
	}
	got, err := f.puller.Pull(ctx, src, creds)
	if err != nil {
		return Fetched{}, explain(name, from, err)
	}
	pkg, err := f.pulled.Load(filepath.Base(got.Path))
	if err != nil {
		return Fetched{}, fmt.Errorf("component %s: chart %s %s: %w", name, chart.Name, got.Version, err)
	}
	if pkg.Chart.Metadata != nil {
		if pkg.Chart.Metadata.Annotations == nil {
			pkg.Chart.Metadata.Annotations = map[string]string{}
		}
		pkg.Chart.Metadata.Annotations[hotplugv1.ChartDigestAnnotation] = got.Digest
	}
	out := Fetched{Package: pkg, Version: got.Version, Digest: got.Digest, Range: !chartsource.Exact(src.Version) && src.Digest == ""}
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

// SecretLogin reads chart.secretRef's Secret through read (data by name);
// where names a Secret for messages ("Secret <namespace>/<name>").
type SecretLogin struct {
	Read  func(ctx context.Context, name string) (map[string][]byte, error)
	Where func(name string) string
}

// Credentials implements Login.
func (l SecretLogin) Credentials(ctx context.Context, chart *hotplugv1.ChartSource) (chartsource.Credentials, string, error) {
	if chart.SecretRef == nil || chart.SecretRef.Name == "" {
		return chartsource.Credentials{}, "", nil
	}
	where := "credentials from chart.secretRef " + l.Where(chart.SecretRef.Name)
	data, err := l.Read(ctx, chart.SecretRef.Name)
	if err != nil {
		return chartsource.Credentials{}, where, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	creds, err := chartsource.CredentialsFromSecret(data)
	if err != nil {
		return chartsource.Credentials{}, where, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	return creds, where, nil
}

// Keyring implements Login: keyring.gpg of chart.verify.secretRef's Secret.
func (l SecretLogin) Keyring(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error) {
	if chart.Verify == nil || chart.Verify.SecretRef == nil || chart.Verify.SecretRef.Name == "" {
		return nil, fmt.Errorf("chart.verify.secretRef: %w: no Secret named", ErrCredentials)
	}
	where := "chart.verify.secretRef " + l.Where(chart.Verify.SecretRef.Name)
	data, err := l.Read(ctx, chart.Verify.SecretRef.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	if len(data[KeyKeyring]) == 0 {
		return nil, fmt.Errorf("%s: %w: it has no %s", where, ErrCredentials, KeyKeyring)
	}
	return data[KeyKeyring], nil
}

// KeyKeyring is the key of a verify Secret holding the OpenPGP keyring
// (provider helm).
const KeyKeyring = "keyring.gpg"

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
