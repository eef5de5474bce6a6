package chartsource

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Source names a chart package by where it is published. It mirrors the
// future API field `chart` of a component.
type Source struct {
	// Repository is oci://host[:port]/path (an OCI registry) or
	// https://host[:port]/path (a Helm repository serving index.yaml);
	// http:// only with Insecure.
	Repository string
	// Name is the chart's name in the repository.
	Name string
	// Version is an exact version ("1.0.1") or a semver range ("~1.0").
	Version string
	// Digest optionally pins the package: "sha256:<64 hex>" of the .tgz
	// (for OCI, the chart layer's digest). When set it wins over Version's
	// resolution, and a mismatch is refused.
	Digest string
	// Insecure allows plain HTTP to the repository's host.
	Insecure bool
	// Keyring, when set, requires the package's Helm provenance file
	// (.prov: next to the package in a Helm repository, a layer of the
	// chart's manifest in an OCI registry) signed by a key of this OpenPGP
	// keyring (binary, armored or a GnuPG keybox), and naming the package's
	// sha256. It is checked on every Pull, from the cache too.
	Keyring []byte
	// CosignKey, when set, requires a cosign signature by this public key
	// (PEM, cosign.pub) of the OCI manifest whose chart layer is the
	// package: a Sigstore bundle referrer (cosign v3) or the classic
	// sha256-<hex>.sig tag (cosign v2). Only the key is trusted; no
	// transparency log is asked. It is checked on every Pull, from the
	// cache too.
	CosignKey []byte
}

// FieldError is a refusal of one field of a Source; Field is the API path
// ("chart.repository", "chart.digest", ...).
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "<field>: <message>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

var (
	// chartName is one OCI path component (which Helm chart names also
	// satisfy); it cannot hold "/", ".." or a scheme.
	chartName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	digestRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// Validate refuses a Source the puller must never act on: a repository that
// is not oci://, https:// or (with insecure) http://, that carries
// credentials, a query, a fragment or a path traversal; a name that is not a
// chart name; a version that is neither a semver version nor a range; a
// digest that is not sha256:<64 lowercase hex>. It is pure and returns a
// *FieldError naming the field.
func Validate(s Source) error {
	if err := validateRepository(s.Repository, s.Insecure); err != nil {
		return err
	}
	if !chartName.MatchString(s.Name) {
		return &FieldError{"chart.name", fmt.Sprintf("%q is not a chart name (lowercase letters, digits, '.', '_', '-')", s.Name)}
	}
	if s.Version == "" {
		return &FieldError{"chart.version", "required: an exact version or a semver range"}
	}
	if _, err := semver.NewConstraint(s.Version); err != nil {
		return &FieldError{"chart.version", fmt.Sprintf("%q is neither a semver version nor a range", s.Version)}
	}
	if s.Digest != "" && !digestRE.MatchString(s.Digest) {
		return &FieldError{"chart.digest", fmt.Sprintf("%q is not sha256:<64 lowercase hex digits>", s.Digest)}
	}
	return nil
}

// validateRepository checks the scheme and the reference syntax of a
// repository URL.
func validateRepository(raw string, insecure bool) error {
	const field = "chart.repository"
	if raw == "" {
		return &FieldError{field, "required: oci://host/path or https://host/path"}
	}
	if strings.ContainsAny(raw, "\\ \t\r\n") {
		return &FieldError{field, "must not contain backslashes or white space"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return &FieldError{field, "not a URL"}
	}
	switch u.Scheme {
	case "oci", "https":
	case "http":
		if !insecure {
			return &FieldError{field, "http:// needs chart.insecure: true (plain HTTP); use https:// or oci://"}
		}
	default:
		return &FieldError{field, fmt.Sprintf("scheme %q is not allowed: use oci://, https:// or (insecure) http://", u.Scheme)}
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return &FieldError{field, "names no host"}
	case u.User != nil:
		return &FieldError{field, "must not carry credentials; use chart.secretRef"}
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		return &FieldError{field, "must not have a query or a fragment"}
	}
	if strings.Contains(raw, "%") {
		return &FieldError{field, "must not contain percent-encoded characters"}
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return &FieldError{field, "must not contain a path traversal ('.' or '..' segments)"}
		}
	}
	return nil
}

// ociBase returns host/path of an oci:// repository, without the trailing
// slash.
func ociBase(repository string) string {
	return strings.TrimSuffix(strings.TrimPrefix(repository, "oci://"), "/")
}

// isOCI tells whether a (valid) repository is an OCI registry.
func isOCI(repository string) bool { return strings.HasPrefix(repository, "oci://") }

// repositoryHost returns host[:port] of a valid repository.
func repositoryHost(repository string) string {
	u, err := url.Parse(repository)
	if err != nil {
		return ""
	}
	return u.Host
}

// reference names a source in messages: repository/name@version, never
// credentials (Validate refuses userinfo).
func reference(s Source) string {
	ref := strings.TrimSuffix(s.Repository, "/") + "/" + s.Name
	if s.Version != "" {
		ref += ":" + s.Version
	}
	if s.Digest != "" {
		ref += "@" + s.Digest
	}
	return ref
}
