package merge

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func charted(name string, ch *hotplugv1.ChartSource) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, Chart: ch}
}

func harbor() *hotplugv1.ChartSource {
	return &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1"}
}

func ptrBool(b bool) *bool { return &b }

// TestEffectiveChart: chart merges field by field, and a layer that sets
// pkgName or chart decides which of the two the component has.
func TestEffectiveChart(t *testing.T) {
	mirror := "oci://mirror.example.com:5000/charts"
	tests := []struct {
		name        string
		common, own *hotplugv1.Hotplug
		wantPkg     string
		wantChart   *hotplugv1.ChartSource
	}{
		{"common's chart applies", hotplug("common", charted("web", harbor())), nil, "", harbor()},
		{"the cluster sets only the version", hotplug("common", charted("web", harbor())),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Version: "1.0.2"}}),
			"", &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.2"}},
		{"the cluster moves to a mirror and keeps the digest", hotplug("common", charted("web", &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1", Digest: digestA})),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Repository: mirror, Insecure: ptrBool(true)}}),
			"", &hotplugv1.ChartSource{Repository: mirror, Name: "logagent", Version: "1.0.1", Digest: digestA, Insecure: ptrBool(true)}},
		{"the cluster pins a digest of common's version", hotplug("common", charted("web", harbor())),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Digest: digestB}}),
			"", &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1", Digest: digestB}},
		{"the cluster turns insecure off", hotplug("common", charted("web", &hotplugv1.ChartSource{Repository: mirror, Name: "logagent", Version: "1", Insecure: ptrBool(true)})),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Insecure: ptrBool(false)}}),
			"", &hotplugv1.ChartSource{Repository: mirror, Name: "logagent", Version: "1", Insecure: ptrBool(false)}},
		{"verify merges field by field", hotplug("common", charted("web", &hotplugv1.ChartSource{Repository: "oci://r.example.com", Name: "a", Version: "~1.0",
			Verify: &hotplugv1.ChartVerify{Provider: "cosign", SecretRef: &hotplugv1.SecretReference{Name: "key"}}})),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Verify: &hotplugv1.ChartVerify{SecretRef: &hotplugv1.SecretReference{Name: "key-2"}}}}),
			"", &hotplugv1.ChartSource{Repository: "oci://r.example.com", Name: "a", Version: "~1.0", Verify: &hotplugv1.ChartVerify{Provider: "cosign", SecretRef: &hotplugv1.SecretReference{Name: "key-2"}}}},
		{"the cluster's pkgName replaces common's chart", hotplug("common", charted("web", harbor())),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", PkgName: "web-1.0.0.tgz"}), "web-1.0.0.tgz", nil},
		{"the cluster's chart replaces common's pkgName", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "enabled", PkgName: "web-1.0.0.tgz"}),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: harbor()}), "", harbor()},
		{"a cluster without package settings keeps common's pkgName", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "enabled", PkgName: "web-1.0.0.tgz"}),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Env: "a: 1\n"}), "web-1.0.0.tgz", nil},
		{"neither: a feature switch", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "enabled"}), nil, "", nil},
		{"a range", hotplug("common", charted("web", &hotplugv1.ChartSource{Repository: "https://charts.example.com/stable/", Name: "Log_agent.x", Version: ">=1.0.0 <2.0.0"})), nil,
			"", &hotplugv1.ChartSource{Repository: "https://charts.example.com/stable/", Name: "Log_agent.x", Version: ">=1.0.0 <2.0.0"}},
		{"a disabled component may hold both and a partial chart", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "disabled", PkgName: "web.tgz", Chart: &hotplugv1.ChartSource{Version: "1.0.0"}}), nil,
			"web.tgz", &hotplugv1.ChartSource{Version: "1.0.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Effective("member-1", tc.common, tc.own)
			if len(res.Errors) > 0 || len(res.Components) != 1 {
				t.Fatalf("errors %v, components %d", res.Errors, len(res.Components))
			}
			c := res.Components[0]
			if c.PkgName != tc.wantPkg || !reflect.DeepEqual(c.Chart, tc.wantChart) {
				t.Errorf("pkgName %q chart %+v, want %q %+v", c.PkgName, c.Chart, tc.wantPkg, tc.wantChart)
			}
			if c.HasPackage() != (tc.wantPkg != "" || tc.wantChart != nil) {
				t.Errorf("HasPackage %v", c.HasPackage())
			}
		})
	}
}

// TestChartSharesNothing: the Result's chart is a copy.
func TestChartSharesNothing(t *testing.T) {
	ch := harbor()
	ch.SecretRef = &hotplugv1.SecretReference{Name: "pull"}
	common := hotplug("common", charted("web", ch))
	res := Effective("member-1", common, nil)
	res.Components[0].Chart.SecretRef.Name = "changed"
	res.Components[0].Chart.Version = "9"
	if ch.SecretRef.Name != "pull" || ch.Version != "1.0.1" {
		t.Error("the Result shares its chart with the input")
	}
}

// TestChartRefusals: every bad chart fails its component alone, with an
// error naming the object, the component and the field path.
func TestChartRefusals(t *testing.T) {
	with := func(f func(*hotplugv1.ChartSource)) *hotplugv1.ChartSource {
		c := harbor()
		f(c)
		return c
	}
	repo := func(r string) *hotplugv1.ChartSource {
		return with(func(c *hotplugv1.ChartSource) { c.Repository = r })
	}
	ok := hotplugv1.ComponentSpec{Name: "ok", Status: "enabled", PkgName: "ok.tgz"}
	tests := []struct {
		name        string
		common, own *hotplugv1.Hotplug
		want        string // the whole location and a part of the cause
	}{
		{"both in one layer", hotplug("common", ok, hotplugv1.ComponentSpec{Name: "web", Status: "enabled", PkgName: "web.tgz", Chart: harbor()}), nil,
			`hotplug "common": component "web": spec.component[1].chart: invalid value: pkgName and chart are both set`},
		{"both in the cluster's layer", hotplug("common", charted("web", harbor())),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", PkgName: "web.tgz", Chart: &hotplugv1.ChartSource{Version: "2.0.0"}}),
			`hotplug "member-1": component "web": spec.component[0].chart: invalid value: pkgName and chart are both set`},
		{"file scheme", hotplug("common", charted("web", repo("file:///etc/charts"))), nil,
			`hotplug "common": component "web": spec.component[0].chart.repository: invalid value: "file:///etc/charts": the repository must start with oci://, https:// or http://`},
		{"another scheme", hotplug("common", charted("web", repo("s3://bucket/charts"))), nil, `chart.repository: invalid value: "s3://bucket/charts": the repository must start`},
		{"upper-case scheme", hotplug("common", charted("web", repo("OCI://harbor.example.com"))), nil, `chart.repository: invalid value: "OCI://harbor.example.com": the repository must start`},
		{"dot-dot segment", hotplug("common", charted("web", repo("https://charts.example.com/a/../../etc"))), nil, `chart.repository: invalid value: the repository's path has a ".." segment`},
		{"encoded dot-dot", hotplug("common", charted("web", repo("https://charts.example.com/a/%2e%2e/b"))), nil, `the repository's path has a ".." segment`},
		{"dot segment", hotplug("common", charted("web", repo("https://charts.example.com/./b"))), nil, `the repository's path has a "." segment`},
		{"backslash", hotplug("common", charted("web", repo(`https://charts.example.com\..\etc`))), nil, `chart.repository: invalid value: the repository holds a control character, white space or a backslash`},
		{"control character", hotplug("common", charted("web", repo("https://charts.example.com/a\nb"))), nil, `control character`},
		{"space", hotplug("common", charted("web", repo("https://charts.example.com/a b"))), nil, `white space`},
		{"userinfo", hotplug("common", charted("web", repo("https://admin:hunter2@charts.example.com/"))), nil, `chart.repository: invalid value: the repository names a user or password; put credentials in a Secret`},
		{"query", hotplug("common", charted("web", repo("https://charts.example.com/?token=x"))), nil, `the repository has a query or fragment`},
		{"fragment", hotplug("common", charted("web", repo("https://charts.example.com/#x"))), nil, `the repository has a query or fragment`},
		{"no host", hotplug("common", charted("web", repo("oci:///charts"))), nil, `the repository's host is not a DNS name or IP address`},
		{"bad port", hotplug("common", charted("web", repo("oci://harbor.example.com:99999/charts"))), nil, `chart.repository: invalid value`},
		{"upper-case OCI path", hotplug("common", charted("web", repo("oci://harbor.example.com/Charts"))), nil, `"Charts" is not an OCI path component`},
		{"empty OCI segment", hotplug("common", charted("web", repo("oci://harbor.example.com/a//b"))), nil, `chart.repository: invalid value`},
		{"too long", hotplug("common", charted("web", repo("https://charts.example.com/"+strings.Repeat("a", 600)))), nil, `a repository of 627 bytes, at most 512`},
		{"name with slash", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Name = "a/b" }))), nil,
			`spec.component[0].chart.name: invalid value: "a/b" is not a chart name`},
		{"name dot-dot", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Name = ".." }))), nil, `chart.name: invalid value: ".." is not a chart name`},
		{"name with dots inside", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Repository, c.Name = "https://c.example.com", "a..b" }))), nil, `chart.name: invalid value`},
		{"upper-case name in OCI", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Name = "LogAgent" }))), nil, `"LogAgent" is not a chart name in an OCI registry`},
		{"bad version", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Version = "latest" }))), nil,
			`spec.component[0].chart.version: invalid value: "latest" is neither a SemVer version`},
		{"bad range", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Version = ">=1.0.0 <<2" }))), nil, `chart.version: invalid value`},
		{"sha1 digest", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Digest = "sha1:0123456789abcdef0123456789abcdef01234567" }))), nil,
			`spec.component[0].chart.digest: invalid value: "sha1:0123456789abcdef0123456789abcdef01234567" is not "sha256:" followed by 64 lower-case hex digits`},
		{"upper-case digest", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Digest = strings.ToUpper(digestA) }))), nil, `chart.digest: invalid value`},
		{"bad secret name", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.SecretRef = &hotplugv1.SecretReference{Name: "Harbor_Pull"} }))), nil,
			`spec.component[0].chart.secretRef.name: invalid value: "Harbor_Pull" is not a Secret name`},
		{"bad verify secret name", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) {
			c.Verify = &hotplugv1.ChartVerify{Provider: "cosign", SecretRef: &hotplugv1.SecretReference{Name: "../key"}}
		}))), nil, `spec.component[0].chart.verify.secretRef.name: invalid value`},
		{"unknown provider", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) {
			c.Verify = &hotplugv1.ChartVerify{Provider: "notation", SecretRef: &hotplugv1.SecretReference{Name: "key"}}
		}))), nil, `spec.component[0].chart.verify.provider: invalid value: "notation" is not "cosign" or "helm"`},
		{"cosign with a Helm repository", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) {
			c.Repository, c.Verify = "https://charts.example.com", &hotplugv1.ChartVerify{Provider: "cosign", SecretRef: &hotplugv1.SecretReference{Name: "key"}}
		}))), nil, `spec.component[0].chart.verify.provider: invalid value: verify.provider cosign needs an oci:// repository`},
		{"the cluster's mirror breaks common's cosign", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) {
			c.Verify = &hotplugv1.ChartVerify{Provider: "cosign", SecretRef: &hotplugv1.SecretReference{Name: "key"}}
		}))), hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Repository: "https://mirror.example.com"}}),
			`hotplug "member-1": component "web": spec.component[0].chart.repository: invalid value: verify.provider cosign needs an oci:// repository`},
		{"insecure with https", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Repository, c.Insecure = "https://c.example.com", ptrBool(true) }))), nil,
			`spec.component[0].chart.insecure: invalid value: insecure is allowed only with an oci:// or http:// repository`},
		{"http without insecure", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Repository = "http://mirror.example.com/charts" }))), nil,
			`spec.component[0].chart.repository: invalid value: incomplete chart: an http:// repository needs chart.insecure: true`},
		{"the cluster's version under common's digest", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Digest = digestA }))),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Version: "1.0.2"}}),
			`hotplug "member-1": component "web": spec.component[0].chart.version: invalid value: chart.version is set here but chart.digest comes from "common"`},
		{"missing repository", hotplug("common", charted("web", &hotplugv1.ChartSource{Name: "a", Version: "1.0.0"})), nil,
			`hotplug "common": component "web": spec.component[0].chart.repository: invalid value: incomplete chart: chart.repository is required for an enabled component`},
		{"the cluster's partial chart replaces common's pkgName", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "enabled", PkgName: "web.tgz"}),
			hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Version: "1.0.0"}}),
			`hotplug "member-1": component "web": spec.component[0].chart.repository: invalid value: incomplete chart`},
		{"an empty chart", hotplug("common", charted("web", &hotplugv1.ChartSource{})), nil, `chart.repository: invalid value: incomplete chart`},
		{"verify without a key", hotplug("common", charted("web", with(func(c *hotplugv1.ChartSource) { c.Verify = &hotplugv1.ChartVerify{Provider: "helm"} }))), nil,
			`spec.component[0].chart.verify.secretRef.name: invalid value: incomplete chart`},
		{"a disabled component's bad digest", hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: "disabled", Chart: &hotplugv1.ChartSource{Digest: "md5:x"}}), nil,
			`spec.component[0].chart.digest: invalid value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Effective("member-1", tc.common, tc.own)
			var errs []string
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
				if !errors.Is(e, errInvalid) || e.Component != "web" || !strings.HasPrefix(e.Field, "spec.component[") {
					t.Errorf("malformed error %+v", e)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Fatalf("errors %q, want one containing %q", errs, tc.want)
			}
			for _, c := range res.Components {
				if c.Name == "web" {
					t.Error("the failed component is in the Result")
				}
			}
			if strings.Contains(errs[0], "hunter2") {
				t.Error("the error echoes a password")
			}
		})
	}
	t.Run("incomplete is told apart", func(t *testing.T) {
		res := Effective("member-1", nil, hotplug("member-1", charted("web", &hotplugv1.ChartSource{Version: "1.0.0"})))
		if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrChartIncomplete) {
			t.Errorf("errors %v, want ErrChartIncomplete", res.Errors)
		}
	})
}
