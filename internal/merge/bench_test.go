package merge

import (
	"fmt"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// monitoringValues builds a values file shaped like kube-prometheus-stack's:
// deep maps, lists of maps (rules, scrape configs, tolerations), a few
// {{.cluster}}; about 3000 lines.
func monitoringValues() string {
	var b strings.Builder
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	resources := func(indent int) {
		w(indent, "resources:")
		w(indent+1, "limits: {cpu: 500m, memory: 512Mi}")
		w(indent+1, "requests: {cpu: 100m, memory: 128Mi}")
	}
	w(0, "nameOverride: \"\"")
	w(0, "commonLabels:")
	w(1, "cluster: \"{{.cluster}}\"")
	w(1, "team: platform")
	for _, comp := range []string{"alertmanager", "grafana", "kubeStateMetrics", "nodeExporter", "prometheusOperator", "prometheus", "thanosRuler"} {
		w(0, "%s:", comp)
		w(1, "enabled: true")
		w(1, "image:")
		w(2, "repository: quay.io/prometheus/%s", strings.ToLower(comp))
		w(2, "tag: v2.45.0")
		w(2, "pullPolicy: IfNotPresent")
		resources(1)
		w(1, "tolerations:")
		for i := range 4 {
			w(1, "- key: node-role.kubernetes.io/role-%d", i)
			w(2, "operator: Exists")
			w(2, "effect: NoSchedule")
		}
		w(1, "serviceMonitor:")
		w(2, "interval: 30s")
		w(2, "relabelings:")
		for i := range 10 {
			w(2, "- sourceLabels: [__meta_kubernetes_pod_label_app_%d]", i)
			w(3, "targetLabel: app_%d", i)
			w(3, "action: replace")
			w(3, "regex: (.+)")
		}
		w(1, "spec:")
		w(2, "externalLabels:")
		w(3, "cluster: \"{{.cluster}}\"")
		w(2, "retention: 15d")
		w(2, "storageSpec:")
		w(3, "volumeClaimTemplate:")
		w(4, "spec:")
		w(5, "accessModes: [ReadWriteOnce]")
		w(5, "resources: {requests: {storage: 50Gi}}")
		w(2, "additionalScrapeConfigs:")
		for i := range 25 {
			w(2, "- job_name: job-%s-%d", strings.ToLower(comp), i)
			w(3, "honor_labels: true")
			w(3, "scrape_interval: %ds", 15+i%4*15)
			w(3, "static_configs:")
			w(3, "- targets: [\"10.0.%d.%d:9100\", \"10.0.%d.%d:9100\"]", i, i+1, i, i+2)
			w(4, "labels: {cluster: \"{{.cluster}}\", shard: \"%d\"}", i%3)
			w(3, "metric_relabel_configs:")
			w(3, "- source_labels: [__name__]")
			w(4, "regex: go_.*")
			w(4, "action: drop")
		}
	}
	w(0, "defaultRules:")
	w(1, "groups:")
	for g := range 30 {
		w(1, "- name: group-%d", g)
		w(2, "rules:")
		for r := range 4 {
			w(2, "- alert: Alert%d_%d", g, r)
			w(3, "expr: sum(rate(http_requests_total{code=~\"5..\",job=\"job-%d\"}[5m])) > %d", g, r)
			w(3, "for: 10m")
			w(3, "labels: {severity: warning}")
			w(3, "annotations:")
			w(4, "summary: high error rate in job-%d", g)
		}
	}
	return b.String()
}

// monitoringOverride is a cluster's small override of the big file.
const monitoringOverride = `grafana:
  enabled: false
prometheus:
  spec:
    retention: 30d
    remoteWrite:
    - url: http://thanos-receive:19291/api/v1/receive
    externalLabels:
      region: "{{.cluster}}-east"
alertmanager: null
`

func TestMonitoringFixtureIsRealistic(t *testing.T) {
	env := monitoringValues()
	if n := strings.Count(env, "\n"); n < 2800 || n > 3300 {
		t.Errorf("fixture has %d lines, want about 3000", n)
	}
	got := Effective("pivot-cluster", hotplug("common", hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: env}),
		hotplug("pivot-cluster", hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: monitoringOverride}))
	if len(got.Errors) != 0 || len(got.Components) != 1 {
		t.Fatalf("Result = %+v", got)
	}
	v := got.Components[0].Values
	if am, ok := v["alertmanager"]; !ok || am != nil {
		t.Errorf("alertmanager = %v, want null so that Helm removes it", am)
	}
	spec := v["prometheus"].(map[string]any)["spec"].(map[string]any)
	if spec["retention"] != "30d" || spec["externalLabels"].(map[string]any)["cluster"] != "pivot-cluster" {
		t.Errorf("prometheus.spec = %v", spec)
	}
}

func BenchmarkEffectiveMonitoring(b *testing.B) {
	env := monitoringValues()
	common := hotplug("common",
		hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Namespace: "kubecube-monitoring", PkgName: "kubecube-monitoring-15.4.7.tgz", Status: "enabled", Env: env})
	own := hotplug("pivot-cluster", hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: monitoringOverride})
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		if r := Effective("pivot-cluster", common, own); len(r.Errors) != 0 {
			b.Fatal(r.Errors)
		}
	}
}

func BenchmarkRenderMonitoring(b *testing.B) {
	env := monitoringValues()
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render("common", "kubecube-monitoring", "pivot-cluster", env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeepMergeMonitoring(b *testing.B) {
	base, err := Render("common", "kubecube-monitoring", "pivot-cluster", monitoringValues())
	if err != nil {
		b.Fatal(err)
	}
	over, err := Render("pivot-cluster", "kubecube-monitoring", "pivot-cluster", monitoringOverride)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = DeepMerge(base, over)
	}
}

func BenchmarkEffectiveSeed(b *testing.B) {
	common, own := loadSample(b, "common"), loadSample(b, "pivot-cluster")
	b.ReportAllocs()
	for b.Loop() {
		_ = Effective("pivot-cluster", common, own)
	}
}
