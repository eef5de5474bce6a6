package report

import (
	"runtime/debug"
	"strings"
)

// version overrides the reported agent version at link time
// (-ldflags "-X github.com/.../internal/report.version=v1.2.3"), for builds
// that know their release name.
var version string

// maxVersionLen is the CRD's limit of Cluster.status.agentVersion.
const maxVersionLen = 64

// Version is what an agent reports as Cluster.status.agentVersion: the
// link-time version when set, else the module version of a `go install
// module@vX` build, else the source revision the binary was built from (12
// hex digits, "-dirty" when the tree had uncommitted changes), else "devel"
// (e.g. a test binary, which carries no VCS stamp). Operators compare it
// across the fleet to see which clusters still run an older agent.
func Version() string {
	if version != "" {
		return cut(version)
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return cut(versionOf(info))
}

// versionOf is Version's choice from the build information, pure.
func versionOf(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel+" + rev
}

// cut keeps a version within the CRD's limit (a long link-time value would
// otherwise make every status write fail validation).
func cut(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > maxVersionLen {
		v = v[:maxVersionLen]
	}
	return v
}
