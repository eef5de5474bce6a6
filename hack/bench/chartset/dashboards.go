package chartset

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// HeavyDashboards are the heavy monitoring chart's Grafana dashboards (one
// ConfigMap each, as kube-prometheus-stack ships them) and the size of each
// dashboard's JSON in KiB: a few large resource dashboards and many
// smaller ones, about 2.5 MB of JSON in all (3.2 MB as
// indented in their templates).
var HeavyDashboards = []struct {
	Name string
	KiB  int
}{
	{"k8s-resources-cluster", 200}, {"k8s-resources-namespace", 190}, {"k8s-resources-workload", 170},
	{"k8s-resources-pod", 165}, {"k8s-resources-node", 160}, {"k8s-resources-workloads-namespace", 150},
	{"namespace-by-pod", 130}, {"namespace-by-workload", 125}, {"cluster-total", 115},
	{"pod-total", 105}, {"workload-total", 95}, {"apiserver", 90},
	{"etcd", 80}, {"kubelet", 80}, {"controller-manager", 70},
	{"scheduler", 60}, {"proxy", 55}, {"prometheus", 50},
	{"prometheus-remote-write", 45}, {"alertmanager-overview", 40}, {"node-cluster-rsrc-use", 40},
	{"node-rsrc-use", 35}, {"nodes", 35}, {"persistentvolumesusage", 30},
	{"statefulset", 28}, {"coredns", 26}, {"grafana-overview", 22},
	{"thanos-overview", 22}, {"logseer-overview", 18}, {"loggie-overview", 18},
}

// dashboardMetrics are the metrics the generated panels query.
var dashboardMetrics = []string{
	"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_network_receive_bytes_total",
	"container_network_transmit_bytes_total", "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
	"node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "apiserver_request_total", "etcd_disk_wal_fsync_duration_seconds_bucket",
	"kubelet_running_pods", "prometheus_tsdb_head_series", "scheduler_e2e_scheduling_duration_seconds_bucket",
}

// dashboardJSON returns a Grafana dashboard of about kib KiB of indented
// JSON: rows of graph and table panels, each with PromQL targets over the
// cluster/namespace/pod variables, generated from name.
func dashboardJSON(name string, kib int) string {
	g := newSchemaGen(name) // only its random source and words
	var panels []map[string]any
	doc := map[string]any{
		"annotations":   map[string]any{"list": []any{map[string]any{"builtIn": 1, "datasource": "-- Grafana --", "enable": true, "hide": true, "name": "Annotations & Alerts", "type": "dashboard"}}},
		"editable":      true,
		"graphTooltip":  0,
		"refresh":       "10s",
		"schemaVersion": 27,
		"tags":          []string{"kubernetes-mixin"},
		"time":          map[string]any{"from": "now-1h", "to": "now"},
		"timezone":      "UTC",
		"title":         "Kubernetes / " + name,
		"uid":           fmt.Sprintf("%x", name),
		"templating":    map[string]any{"list": dashboardVariables()},
	}
	for id := 1; ; id++ {
		panels = append(panels, dashboardPanel(g.rnd, id))
		doc["panels"] = panels
		if id%10 == 0 || id < 3 {
			b, _ := json.MarshalIndent(doc, "", "  ")
			if len(b) >= kib<<10 {
				return string(b)
			}
		}
	}
}

// dashboardPanel is one panel with two to four targets.
func dashboardPanel(rnd *rand.Rand, id int) map[string]any {
	var targets []map[string]any
	for i := range 2 + rnd.IntN(3) {
		m := dashboardMetrics[rnd.IntN(len(dashboardMetrics))]
		by := []string{"pod", "namespace", "node", "container", "workload"}[rnd.IntN(5)]
		targets = append(targets, map[string]any{
			"expr":           fmt.Sprintf(`sum(rate(%s{cluster="$cluster", namespace=~"$namespace", %s!=""}[%dm])) by (%s)`, m, by, 1+rnd.IntN(10), by),
			"format":         "time_series",
			"intervalFactor": 2,
			"legendFormat":   "{{" + by + "}}",
			"refId":          string(rune('A' + i)),
			"step":           10,
		})
	}
	kind := []string{"graph", "table", "singlestat"}[rnd.IntN(3)]
	return map[string]any{
		"aliasColors": map[string]any{}, "bars": false, "dashLength": 10, "dashes": false,
		"datasource": "$datasource", "fill": 1, "id": id,
		"gridPos": map[string]any{"h": 7, "w": 12, "x": 12 * (id % 2), "y": 7 * (id / 2)},
		"legend":  map[string]any{"avg": false, "current": false, "max": false, "min": false, "show": true, "total": false, "values": false},
		"lines":   true, "linewidth": 1, "nullPointMode": "null as zero", "percentage": false, "pointradius": 5,
		"renderer": "flot", "seriesOverrides": []any{}, "spaceLength": 10, "stack": rnd.IntN(2) == 0, "steppedLine": false,
		"targets": targets, "thresholds": []any{}, "timeFrom": nil, "timeShift": nil,
		"title":   fmt.Sprintf("%s %s (%d)", strings.ToUpper(schemaWords[rnd.IntN(len(schemaWords))][:1])+schemaWords[rnd.IntN(len(schemaWords))][1:], schemaWords[rnd.IntN(len(schemaWords))], id),
		"tooltip": map[string]any{"shared": true, "sort": 2, "value_type": "individual"},
		"type":    kind,
		"xaxis":   map[string]any{"buckets": nil, "mode": "time", "name": nil, "show": true, "values": []any{}},
		"yaxes": []any{
			map[string]any{"format": "short", "label": nil, "logBase": 1, "max": nil, "min": 0, "show": true},
			map[string]any{"format": "short", "label": nil, "logBase": 1, "max": nil, "min": nil, "show": false},
		},
	}
}

// dashboardVariables are the datasource, cluster, namespace and pod
// template variables.
func dashboardVariables() []any {
	v := func(name, query string) map[string]any {
		return map[string]any{"allValue": nil, "current": map[string]any{}, "datasource": "$datasource", "hide": 0, "includeAll": false,
			"label": name, "multi": false, "name": name, "options": []any{}, "query": query, "refresh": 2, "regex": "", "sort": 1,
			"tagValuesQuery": "", "tags": []any{}, "tagsQuery": "", "type": "query", "useTags": false}
	}
	return []any{
		map[string]any{"current": map[string]any{"text": "default", "value": "default"}, "hide": 0, "label": "Data Source", "name": "datasource", "options": []any{}, "query": "prometheus", "refresh": 1, "regex": "", "type": "datasource"},
		v("cluster", `label_values(up{job="kubelet", metrics_path="/metrics/cadvisor"}, cluster)`),
		v("namespace", `label_values(kube_pod_info{cluster="$cluster"}, namespace)`),
		v("pod", `label_values(kube_pod_info{cluster="$cluster", namespace="$namespace"}, pod)`),
	}
}

// templateEscape escapes {{ and }} of text (Grafana's legend formats,
// Prometheus' alert templates) as charts do, so Helm prints them as they
// are.
var templateEscape = strings.NewReplacer("{{", "{{`{{`}}", "}}", "{{`}}`}}")

// dashboardConfigMap is the template of a dashboard's ConfigMap, labelled
// for Grafana's sidecar.
func dashboardConfigMap(name string, kib int) string {
	js := templateEscape.Replace(dashboardJSON(name, kib))
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-%s
  namespace: {{ .Release.Namespace }}
  labels:
    grafana_dashboard: "1"
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  %s.json: |-
    %s
`, name, name, strings.ReplaceAll(js, "\n", "\n    "))
}
