package chartsource

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// exactVersion tells whether v names one version (strict semver, as Helm
// writes chart versions) rather than a range.
func exactVersion(v string) bool {
	_, err := semver.StrictNewVersion(v)
	return err == nil
}

// pickVersion returns the highest of candidates (as written) that satisfies
// want: equal to it when want is an exact version, in the range otherwise.
// Candidates that are not semver are ignored. It is pure; a miss is an error
// listing how many versions were seen.
func pickVersion(candidates []string, want string) (string, error) {
	if exactVersion(want) {
		w := semver.MustParse(want)
		for _, c := range candidates {
			if v, err := semver.NewVersion(c); err == nil && v.Equal(w) && v.Metadata() == w.Metadata() {
				return c, nil
			}
		}
		return "", fmt.Errorf("version %s is not among the %d published", want, len(candidates))
	}
	constraint, err := semver.NewConstraint(want)
	if err != nil {
		return "", fmt.Errorf("%q is not a semver range", want)
	}
	var best *semver.Version
	bestRaw := ""
	for _, c := range candidates {
		v, err := semver.NewVersion(c)
		if err != nil || !constraint.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestRaw = v, c
		}
	}
	if best == nil {
		return "", fmt.Errorf("no version of the %d published matches %q", len(candidates), want)
	}
	return bestRaw, nil
}

// ociTag is the tag Helm pushes a version under ('+' is not allowed in a
// tag, Helm writes '_').
func ociTag(version string) string { return strings.ReplaceAll(version, "+", "_") }

// Exact tells whether v names one version rather than a range: such a
// version (or a digest) is served from the cache without asking the source,
// a range is resolved again.
func Exact(v string) bool { return exactVersion(v) }
