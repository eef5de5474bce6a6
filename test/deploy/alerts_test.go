package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var metricRE = regexp.MustCompile(`\bhotplug_[a-z_]+`)

// registeredMetrics is every metric name hotplug's code declares.
func registeredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../../internal/*/metrics.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no metrics.go files: %v", err)
	}
	decl := regexp.MustCompile(`Name:\s*"(hotplug_[a-z_]+)"`)
	out := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(data), -1) {
			out[m[1]] = true
		}
	}
	return out
}

// checkMetrics fails for every hotplug_* name in expr that the code does not
// declare (histogram series suffixes allowed).
func checkMetrics(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	for _, name := range metricRE.FindAllString(expr, -1) {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			base = strings.TrimSuffix(base, suffix)
		}
		if !known[base] && !known[name] {
			t.Errorf("%s reads %s, which hotplug does not export", where, name)
		}
	}
}

// The alerts and the dashboard read only metrics hotplug exports, so they
// cannot silently watch a series that never exists.
func TestAlertsAndDashboard(t *testing.T) {
	known := registeredMetrics(t)
	vals := pivotValues()
	vals["metrics"] = map[string]any{"prometheusRule": map[string]any{"enabled": true}, "grafanaDashboard": map[string]any{"enabled": true}}
	r := mustRender(t, vals, "monitoring.coreos.com/v1")

	rule := r.mustFind(t, "PrometheusRule", "hotplug")
	groups, _, _ := unstructuredSlice(rule.Object, "spec", "groups")
	var alerts []string
	for _, g := range groups {
		rules, _ := g.(map[string]any)["rules"].([]any)
		for _, ru := range rules {
			m := ru.(map[string]any)
			alerts = append(alerts, m["alert"].(string))
			checkMetrics(t, "alert "+m["alert"].(string), m["expr"].(string), known)
		}
	}
	slices.Sort(alerts)
	want := []string{"HotplugClusterAbnormal", "HotplugComponentNotReady", "HotplugDriftKeepsComingBack", "HotplugHelmActionsFailing"}
	if !slices.Equal(alerts, want) {
		t.Errorf("alerts = %v, want %v", alerts, want)
	}

	cm := r.mustFind(t, "ConfigMap", "hotplug-dashboard")
	data, _, _ := unstructuredString(cm.Object, "data", "hotplug.json")
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(data), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if len(dash.Panels) < 5 {
		t.Errorf("dashboard has %d panels", len(dash.Panels))
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if !metricRE.MatchString(tg.Expr) {
				t.Errorf("panel %q reads no hotplug metric: %s", p.Title, tg.Expr)
			}
			checkMetrics(t, "panel "+p.Title, tg.Expr, known)
		}
	}

	// Off by default, and never without the API.
	if mustRender(t, pivotValues(), "monitoring.coreos.com/v1").find("PrometheusRule", "hotplug") != nil {
		t.Error("PrometheusRule rendered although disabled")
	}
	if mustRender(t, vals).find("PrometheusRule", "hotplug") != nil {
		t.Error("PrometheusRule rendered without monitoring.coreos.com/v1")
	}
}

func unstructuredSlice(obj map[string]any, path ...string) ([]any, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}
