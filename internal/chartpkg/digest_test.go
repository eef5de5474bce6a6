package chartpkg

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kubecube-io/hotplug/internal/testcharts"
)

func loadTestChart(t *testing.T, name string) *chartv2.Chart {
	t.Helper()
	ch, err := Load(testcharts.Dir(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// jsonRoundTrip mimics what Helm's release storage does to a value.
func jsonRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDigestStable(t *testing.T) {
	base := loadTestChart(t, "configmap")
	values := map[string]any{"replicaCount": 3, "nested": map[string]any{"a": 1, "b": []any{1, "x", 2.5}, "c": int64(7)}}
	want := Digest(base, values)

	tests := []struct {
		name   string
		chart  func(t *testing.T) *chartv2.Chart
		values map[string]any
	}{
		{name: "same input", chart: func(*testing.T) *chartv2.Chart { return base }, values: values},
		{name: "reloaded", chart: func(t *testing.T) *chartv2.Chart { return loadTestChart(t, "configmap") }, values: values},
		{name: "map order", chart: func(*testing.T) *chartv2.Chart { return base }, values: map[string]any{
			"nested": map[string]any{"c": 7, "b": []any{1, "x", 2.5}, "a": 1}, "replicaCount": 3}},
		{name: "float64 after JSON round trip", chart: func(*testing.T) *chartv2.Chart { return base },
			values: jsonRoundTrip(t, values)},
		{name: "chart after JSON round trip", chart: func(t *testing.T) *chartv2.Chart { return jsonRoundTrip(t, base) },
			values: jsonRoundTrip(t, values)},
		{name: "packaged as tgz", chart: func(t *testing.T) *chartv2.Chart {
			dir := t.TempDir()
			testcharts.Package(t, "configmap", dir, "configmap", base.Metadata.Version, "")
			ch, err := Load(dir, "configmap-"+base.Metadata.Version+".tgz")
			if err != nil {
				t.Fatal(err)
			}
			return ch
		}, values: values},
		{name: "template order", chart: func(*testing.T) *chartv2.Chart {
			c := *base
			c.Templates = append([]*common.File{{Name: "templates/zz.yaml"}}, base.Templates...)
			d := c
			d.Templates = append(append([]*common.File{}, base.Templates...), &common.File{Name: "templates/zz.yaml"})
			if Digest(&c, values) != Digest(&d, values) {
				t.Fatal("template order changes the digest")
			}
			return base
		}, values: values},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Digest(tt.chart(t), tt.values); got != want {
				t.Fatalf("digest = %s, want %s", got, want)
			}
		})
	}

	if Digest(base, nil) != Digest(base, map[string]any{}) {
		t.Error("nil and empty values digest differently")
	}
	if len(want) != 64 {
		t.Errorf("digest %q is not hex sha256", want)
	}
}

func TestDigestSensitive(t *testing.T) {
	values := map[string]any{"replicaCount": 3}
	base := loadTestChart(t, "configmap")
	want := Digest(base, values)

	tests := []struct {
		name   string
		mutate func(c *chartv2.Chart)
		values map[string]any
	}{
		{name: "template change", mutate: func(c *chartv2.Chart) {
			c.Templates = append([]*common.File{}, c.Templates...)
			f := *c.Templates[0]
			f.Data = append(append([]byte{}, f.Data...), '\n', '#')
			c.Templates[0] = &f
		}},
		{name: "template rename", mutate: func(c *chartv2.Chart) {
			c.Templates = append([]*common.File{}, c.Templates...)
			f := *c.Templates[0]
			f.Name += ".bak"
			c.Templates[0] = &f
		}},
		{name: "version change", mutate: func(c *chartv2.Chart) {
			md := *c.Metadata
			md.Version = "0.1.1"
			c.Metadata = &md
		}},
		{name: "default values change", mutate: func(c *chartv2.Chart) {
			c.Values = map[string]any{"greeting": "bye"}
		}},
		{name: "crd file added", mutate: func(c *chartv2.Chart) {
			c.Files = append(append([]*common.File{}, c.Files...), &common.File{Name: "crds/x.yaml", Data: []byte("kind: X")})
		}},
		{name: "schema change", mutate: func(c *chartv2.Chart) { c.Schema = []byte(`{}`) }},
		{name: "dependency added", mutate: func(c *chartv2.Chart) {
			c.AddDependency(loadTestChart(t, "schema"))
		}},
		{name: "values change", values: map[string]any{"replicaCount": 4}},
		{name: "values type change", values: map[string]any{"replicaCount": "3"}},
		{name: "values key added", values: map[string]any{"replicaCount": 3, "x": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := loadTestChart(t, "configmap")
			if tt.mutate != nil {
				tt.mutate(ch)
			}
			v := values
			if tt.values != nil {
				v = tt.values
			}
			if got := Digest(ch, v); got == want {
				t.Fatalf("digest unchanged: %s", got)
			}
		})
	}
}

func TestDigestDependencyContent(t *testing.T) {
	parent := func(sub string) *chartv2.Chart {
		p := loadTestChart(t, "configmap")
		p.AddDependency(loadTestChart(t, sub))
		return p
	}
	first, second := Digest(parent("schema"), nil), Digest(parent("schema"), nil)
	if first != second {
		t.Fatal("dependency digest not stable")
	}
	if Digest(parent("schema"), nil) == Digest(parent("webapp"), nil) {
		t.Fatal("dependency content ignored")
	}
}

func TestDigestNilChart(t *testing.T) {
	if Digest(nil, nil) == Digest(loadTestChart(t, filepath.Join("configmap")), nil) {
		t.Fatal("nil chart digests like a real one")
	}
}
