package chartsource

import (
	"errors"
	"strings"
	"testing"
)

// TestValidate: every refusal names its field; good sources pass.
func TestValidate(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	ok := Source{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1"}
	cases := []struct {
		name  string
		edit  func(*Source)
		field string // "" for valid
	}{
		{"oci", func(*Source) {}, ""},
		{"https with port and range", func(s *Source) { s.Repository, s.Version = "https://charts.example.com:8443/stable/", ">=1.0.0 <2.0.0" }, ""},
		{"tilde range and digest", func(s *Source) { s.Version, s.Digest = "~1.0", digest }, ""},
		{"http insecure", func(s *Source) { s.Repository, s.Insecure = "http://mirror.local/charts", true }, ""},
		{"http without insecure", func(s *Source) { s.Repository = "http://mirror.local/charts" }, "chart.repository"},
		{"file scheme", func(s *Source) { s.Repository = "file:///etc/charts" }, "chart.repository"},
		{"other scheme", func(s *Source) { s.Repository = "ftp://example.com/charts" }, "chart.repository"},
		{"no scheme", func(s *Source) { s.Repository = "harbor.example.com/charts" }, "chart.repository"},
		{"empty", func(s *Source) { s.Repository = "" }, "chart.repository"},
		{"traversal", func(s *Source) { s.Repository = "oci://harbor.example.com/charts/../../etc" }, "chart.repository"},
		{"encoded traversal", func(s *Source) { s.Repository = "https://example.com/charts/%2e%2e/x" }, "chart.repository"},
		{"dot segment", func(s *Source) { s.Repository = "https://example.com/./charts" }, "chart.repository"},
		{"userinfo", func(s *Source) { s.Repository = "https://user:pw@example.com/charts" }, "chart.repository"},
		{"query", func(s *Source) { s.Repository = "https://example.com/charts?x=1" }, "chart.repository"},
		{"no host", func(s *Source) { s.Repository = "oci:///charts" }, "chart.repository"},
		{"backslash", func(s *Source) { s.Repository = `https://example.com\charts` }, "chart.repository"},
		{"name traversal", func(s *Source) { s.Name = "../logagent" }, "chart.name"},
		{"name slash", func(s *Source) { s.Name = "a/b" }, "chart.name"},
		{"name upper", func(s *Source) { s.Name = "LogAgent" }, "chart.name"},
		{"no version", func(s *Source) { s.Version = "" }, "chart.version"},
		{"bad version", func(s *Source) { s.Version = "latest" }, "chart.version"},
		{"sha512 digest", func(s *Source) { s.Digest = "sha512:" + strings.Repeat("ab", 64) }, "chart.digest"},
		{"short digest", func(s *Source) { s.Digest = "sha256:abc" }, "chart.digest"},
		{"upper hex digest", func(s *Source) { s.Digest = "sha256:" + strings.Repeat("AB", 32) }, "chart.digest"},
		{"bare hex digest", func(s *Source) { s.Digest = strings.Repeat("ab", 32) }, "chart.digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.edit(&s)
			err := Validate(s)
			var fe *FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("got %v, want a refusal of %s", err, c.field)
			case c.field != "" && !strings.HasPrefix(err.Error(), c.field+": "):
				t.Fatalf("message %q does not start with the field", err)
			}
		})
	}
}

// TestPickVersion: exact versions match exactly, ranges pick the highest
// match, prereleases only when the range asks, non-semver is ignored.
func TestPickVersion(t *testing.T) {
	published := []string{"1.0.0", "1.0.1", "1.0.10", "1.1.0", "2.0.0", "2.1.0-rc.1", "latest", "0.9.0"}
	cases := []struct{ want, got string }{
		{"1.0.1", "1.0.1"},
		{"~1.0", "1.0.10"},
		{"^1.0.0", "1.1.0"},
		{">=1.0.0 <2.0.0", "1.1.0"},
		{">=2.0.0", "2.0.0"},
		{">=2.1.0-rc.0", "2.1.0-rc.1"},
		{"1.x", "1.1.0"},
		{"*", "2.0.0"},
		{"3.0.0", ""},
		{"~3", ""},
		{"1.0.2", ""},
	}
	for _, c := range cases {
		got, err := pickVersion(published, c.want)
		if got != c.got || (c.got == "") != (err != nil) {
			t.Errorf("pickVersion(%q) = %q, %v; want %q", c.want, got, err, c.got)
		}
	}
}

// TestFromCache: a pin is served only when a version it was resolved as
// satisfies the version asked; an exact version is served from its record;
// a range without a pin always asks the repository.
func TestFromCache(t *testing.T) {
	a, b := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	seen := map[string]string{"1.0.1": a, "2.0.0": b}
	cases := []struct {
		src         Source
		version, dg string
		ok          bool
	}{
		{Source{Version: "1.0.1"}, "1.0.1", a, true},
		{Source{Version: "1.0.2"}, "", "", false},
		{Source{Version: "~1.0"}, "", "", false},
		{Source{Version: "~1.0", Digest: a}, "1.0.1", a, true},
		{Source{Version: "1.0.1", Digest: a}, "1.0.1", a, true},
		{Source{Version: "2.0.0", Digest: a}, "", a, false},
		{Source{Version: "~1.0", Digest: b}, "", b, false},
	}
	for _, c := range cases {
		v, d, ok := fromCache(seen, c.src)
		if ok != c.ok || (ok && (v != c.version || d != c.dg)) {
			t.Errorf("fromCache(%+v) = %q %q %v; want %q %q %v", c.src, v, d, ok, c.version, c.dg, c.ok)
		}
	}
}
