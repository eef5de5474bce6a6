package merge

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// The API server's schema enforces these already; checking again keeps a
// hand-built or stale object from reaching Helm or the file system.
var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

const (
	maxNameLen      = 53 // a Helm release name
	maxNamespaceLen = 63 // a DNS label
	maxPkgNameLen   = 253
)

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: name is empty", errInvalid)
	}
	return checkLabel(name, maxNameLen)
}

func checkNamespace(ns string) error {
	return checkLabel(ns, maxNamespaceLen)
}

func checkLabel(s string, maxLen int) error {
	if len(s) > maxLen || !dnsLabelRE.MatchString(s) {
		return fmt.Errorf("%w: %q is not a DNS label of at most %d characters", errInvalid, truncate(s), maxLen)
	}
	return nil
}

// checkPkgName keeps the package inside the agent's chart directory: the
// agent joins it to that directory, so an absolute path or `..` would let a
// configuration read any file on the agent's host.
func checkPkgName(p string) error {
	if len(p) > maxPkgNameLen || !filepath.IsLocal(p) || filepath.Clean(p) == "." || strings.ContainsRune(p, 0) {
		return fmt.Errorf("%w: %q is not a relative path inside the chart directory", errInvalid, truncate(p))
	}
	return nil
}
