package merge

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Bounds of a chart's fields; the CRD's markers say the same
// (api/hotplug/v1 ChartSource).
const (
	maxRepositoryLen = 512
	maxChartNameLen  = 128
	maxVersionLen    = 128
	maxSecretNameLen = 253
)

var (
	digestRE    = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	chartNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// ociComponentRE is one path component of an OCI repository name
	// (distribution's reference grammar).
	ociComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	hostnameRE     = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)
)

// Repository schemes: an OCI registry, or a Helm repository over HTTP(S).
const (
	schemeOCI   = "oci://"
	schemeHTTPS = "https://"
	schemeHTTP  = "http://"
)

// check refuses a merged chart the agent must not try: a field that is
// malformed, a pair of fields that contradict each other, a digest
// inherited under a version or name set above it, and, when enabled, a
// missing field. Syntax is checked whatever the switch, as pkgName is.
func (m mergedChart) check(enabled bool) *Error {
	c := &m.src
	oci := strings.HasPrefix(c.Repository, schemeOCI)
	for _, f := range []struct {
		path, value string
		check       func(string) error
	}{
		{"repository", c.Repository, checkRepository},
		{"name", c.Name, func(v string) error { return checkChartName(v, oci) }},
		{"version", c.Version, checkVersion},
		{"digest", c.Digest, checkDigest},
		{"secretRef.name", fieldValue(c, "secretRef.name"), checkSecretName},
		{"verify.provider", fieldValue(c, "verify.provider"), checkProvider},
		{"verify.secretRef.name", fieldValue(c, "verify.secretRef.name"), checkSecretName},
	} {
		if f.value == "" {
			continue
		}
		if err := f.check(f.value); err != nil {
			return m.fail(f.path, err)
		}
	}
	if err := m.checkPairs(); err != nil {
		return err
	}
	if enabled {
		return m.checkComplete()
	}
	return nil
}

// checkPairs refuses fields that are each fine but not together.
func (m mergedChart) checkPairs() *Error {
	c := &m.src
	if c.Repository != "" && fieldValue(c, "verify.provider") == hotplugv1.VerifyCosign && !strings.HasPrefix(c.Repository, schemeOCI) {
		return m.fail(m.later("verify.provider", "repository"),
			fmt.Errorf("%w: verify.provider cosign needs an oci:// repository (cosign signatures live in an OCI registry); use helm for a Helm repository", errInvalid))
	}
	if c.Repository != "" && c.Insecure != nil && *c.Insecure && strings.HasPrefix(c.Repository, schemeHTTPS) {
		return m.fail(m.later("insecure", "repository"),
			fmt.Errorf("%w: insecure is allowed only with an oci:// or http:// repository, not https://", errInvalid))
	}
	for _, f := range []string{"version", "name"} {
		if c.Digest != "" && m.rank[f] > m.rank["digest"] {
			return m.fail(f, fmt.Errorf("%w: chart.%s is set here but chart.digest comes from %q; a digest pins one package of one version: set chart.digest here too",
				errInvalid, f, m.from["digest"].object))
		}
	}
	return nil
}

// checkComplete refuses an enabled component's chart that lacks what a
// pull needs.
func (m mergedChart) checkComplete() *Error {
	c := &m.src
	required := []string{"repository", "name", "version"}
	if c.Verify != nil {
		required = append(required, "verify.provider", "verify.secretRef.name")
	}
	for _, f := range chartFields {
		for _, r := range required {
			if f.path == r && f.get(c) == "" {
				return m.fail(r, fmt.Errorf("%w: %w: chart.%s is required for an enabled component (set it here or in %q)",
					errInvalid, ErrChartIncomplete, r, hotplugv1.CommonName))
			}
		}
	}
	if strings.HasPrefix(c.Repository, schemeHTTP) && (c.Insecure == nil || !*c.Insecure) {
		// Plain HTTP sends the login and the package unprotected: it must
		// be asked for, as for an oci:// registry without TLS.
		return m.fail("repository", fmt.Errorf("%w: %w: an http:// repository needs chart.insecure: true (plain HTTP); use https:// or oci://",
			errInvalid, ErrChartIncomplete))
	}
	return nil
}

// checkRepository accepts an oci://, https:// or http:// URL with a host,
// and nothing that could point elsewhere than it seems: no user or
// password, query, fragment, backslash, control character, white space or
// "." / ".." path segment; an oci:// path is made of OCI path components.
func checkRepository(raw string) error {
	if len(raw) > maxRepositoryLen {
		return fmt.Errorf("%w: a repository of %d bytes, at most %d", errInvalid, len(raw), maxRepositoryLen)
	}
	if !strings.HasPrefix(raw, schemeOCI) && !strings.HasPrefix(raw, schemeHTTPS) && !strings.HasPrefix(raw, schemeHTTP) {
		return fmt.Errorf("%w: %q: the repository must start with oci://, https:// or http://", errInvalid, truncate(raw))
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("%w: the repository holds a control character, white space or a backslash", errInvalid)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: the repository is not a URL: %w", errInvalid, err)
	}
	switch {
	case u.User != nil:
		// The value is not quoted: it holds a credential.
		return fmt.Errorf("%w: the repository names a user or password; put credentials in a Secret named by chart.secretRef", errInvalid)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%w: %q: the repository has a query or fragment", errInvalid, truncate(raw))
	}
	if err := checkHost(u); err != nil {
		return err
	}
	return checkRepositoryPath(u.Path, strings.HasPrefix(raw, schemeOCI))
}

func checkHost(u *url.URL) error {
	host := u.Hostname()
	if host == "" || (!hostnameRE.MatchString(host) && net.ParseIP(host) == nil) {
		return fmt.Errorf("%w: %q: the repository's host is not a DNS name or IP address", errInvalid, truncate(u.Host))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: %q: the repository's port is not 1-65535", errInvalid, truncate(u.Host))
		}
	}
	return nil
}

// checkRepositoryPath refuses "." and ".." segments (decoded, so %2e%2e
// too) and, for OCI, anything but OCI path components.
func checkRepositoryPath(path string, oci bool) error {
	trimmed := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	if trimmed == "" {
		return nil
	}
	for _, seg := range strings.Split(trimmed, "/") {
		switch {
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: the repository's path has a %q segment", errInvalid, seg)
		case oci && !ociComponentRE.MatchString(seg):
			return fmt.Errorf("%w: %q is not an OCI path component (lower-case letters and digits, separated by ., _, __ or -)", errInvalid, truncate(seg))
		case seg == "":
			return fmt.Errorf("%w: the repository's path has an empty segment", errInvalid)
		}
	}
	return nil
}

// checkChartName accepts a chart's name: one path element, no "..", and an
// OCI path component in an oci:// repository.
func checkChartName(name string, oci bool) error {
	switch {
	case len(name) > maxChartNameLen:
		return fmt.Errorf("%w: a chart name of %d bytes, at most %d", errInvalid, len(name), maxChartNameLen)
	case !chartNameRE.MatchString(name) || strings.Contains(name, ".."):
		return fmt.Errorf("%w: %q is not a chart name (letters, digits, ., _ and -; no / and no ..)", errInvalid, truncate(name))
	case oci && !ociComponentRE.MatchString(name):
		return fmt.Errorf("%w: %q is not a chart name in an OCI registry (lower-case letters and digits, separated by ., _, __ or -)", errInvalid, truncate(name))
	}
	return nil
}

// checkVersion accepts an exact SemVer version or a SemVer range, as the
// Masterminds semver library (Helm's) parses them.
func checkVersion(v string) error {
	if len(v) > maxVersionLen {
		return fmt.Errorf("%w: a version of %d bytes, at most %d", errInvalid, len(v), maxVersionLen)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%w: the version holds a control character", errInvalid)
	}
	if _, err := semver.NewVersion(v); err == nil {
		return nil
	}
	if _, err := semver.NewConstraint(v); err != nil {
		return fmt.Errorf("%w: %q is neither a SemVer version (1.0.1) nor a SemVer range (~1.0, >=1.0.0 <2.0.0): %w", errInvalid, truncate(v), err)
	}
	return nil
}

func checkDigest(d string) error {
	if !digestRE.MatchString(d) {
		return fmt.Errorf(`%w: %q is not "sha256:" followed by 64 lower-case hex digits`, errInvalid, truncate(d))
	}
	return nil
}

func checkSecretName(n string) error {
	if len(n) > maxSecretNameLen || !dnsSubdomainRE.MatchString(n) {
		return fmt.Errorf("%w: %q is not a Secret name (a DNS-1123 subdomain of at most %d characters)", errInvalid, truncate(n), maxSecretNameLen)
	}
	return nil
}

func checkProvider(p string) error {
	if p != hotplugv1.VerifyCosign && p != hotplugv1.VerifyHelm {
		return fmt.Errorf("%w: %q is not %q or %q", errInvalid, truncate(p), hotplugv1.VerifyCosign, hotplugv1.VerifyHelm)
	}
	return nil
}
