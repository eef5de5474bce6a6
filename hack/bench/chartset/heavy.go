package chartset

import (
	"fmt"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// heavyValues are the heavy monitoring chart's values: the counts its
// templates range over, then a documented block per rule group and
// dashboard, as a large chart's values.yaml has.
func heavyValues() string {
	var b strings.Builder
	b.WriteString("# Default values for kubecube-monitoring (the bench's heavy monitoring chart).\n")
	b.WriteString("round: 1\nserviceMonitors: 24\npodMonitors: 8\n\n")
	b.WriteString("## Rules of the PrometheusRule objects; each group can be disabled.\ndefaultRules:\n  create: true\n  rules:\n")
	for i := range heavyRuleGroups {
		fmt.Fprintf(&b, "    ## rules-%02d: alerting rules of one part of the cluster; see the runbooks for what each alert means\n    ## and what to check first when it fires.\n    rules%02d: true\n", i, i)
	}
	b.WriteString("\n## Dashboards of the Grafana sidecar; each can be disabled.\ndefaultDashboards:\n  enabled: true\n  dashboards:\n")
	for _, d := range HeavyDashboards {
		fmt.Fprintf(&b, "    ## %s: a dashboard of %d KiB; the sidecar loads every ConfigMap labelled grafana_dashboard.\n    %s: true\n", d.Name, d.KiB, strings.ReplaceAll(d.Name, "-", ""))
	}
	for _, c := range []string{"prometheusOperator", "prometheus", "alertmanager", "kubeStateMetrics", "nodeExporter"} {
		fmt.Fprintf(&b, `
## %s
%s:
  enabled: true
  ## Image of the component.
  image:
    repository: registry.bench.invalid/%s
    tag: v1.0.0
    pullPolicy: IfNotPresent
  ## Resources of the component's container; see
  ## https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
  resources:
    requests: {cpu: 10m, memory: 16Mi}
  ## Node selector, tolerations and affinity of the component's pods.
  nodeSelector: {}
  tolerations: []
  affinity: {}
  ## Security context of the component's pods.
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    fsGroup: 2000
`, c, c, strings.ToLower(c))
	}
	return b.String()
}

// HeavyMonitoring returns the heavy monitoring chart, shaped like
// KubeCube's kubecube-monitoring 15.4.7 as issue 21 measured it: ten
// prometheus-operator CRDs of 3.8 to 328 KB (about 1.3 MB), 30 Grafana
// dashboards as ConfigMaps, PrometheusRules, ServiceMonitors and
// PodMonitors of its own CRDs, the admission webhook's certificate hook
// Jobs with their RBAC, and three subcharts; about 5 MB unpacked.
func HeavyMonitoring() *chartv2.Chart {
	templates := map[string]string{
		"operator.yaml": serviceAccount("operator") + "---\n" + rbac("operator") + "---\n" + workload("Deployment", "operator", 1) + "---\n" + service("operator"),
		"prometheus.yaml": serviceAccount("prometheus") + "---\n" + rbac("prometheus") + "---\n" + role("prometheus") + "---\n" +
			workload("StatefulSet", "prometheus", 1) + "---\n" + service("prometheus") + "---\n" + singleResource("Prometheus", "k8s"),
		"alertmanager.yaml": serviceAccount("alertmanager") + "---\n" + role("alertmanager") + "---\n" +
			workload("StatefulSet", "alertmanager", 1) + "---\n" + service("alertmanager") + "---\n" + singleResource("Alertmanager", "main"),
		"exporters.yaml":                  exporterServices("coredns", "kube-controller-manager", "kube-etcd", "kube-proxy", "kube-scheduler"),
		"servicemonitors.yaml":            customResources("ServiceMonitor", "sm", "serviceMonitors"),
		"podmonitors.yaml":                customResources("PodMonitor", "pm", "podMonitors"),
		"admission-webhooks/hooks.yaml":   admissionHooks(),
		"admission-webhooks/configs.yaml": admissionWebhooks(),
	}
	for _, d := range HeavyDashboards {
		templates["grafana/dashboards/"+d.Name+".yaml"] = dashboardConfigMap(d.Name, d.KiB)
	}
	for i := range heavyRuleGroups {
		templates[fmt.Sprintf("prometheus/rules/rules-%02d.yaml", i)] = prometheusRule(i)
	}
	ch := newChart("kubecube-monitoring", "15.4.7", heavyValues(), templates)
	for _, c := range HeavyCRDs {
		ch.Files = append(ch.Files, &common.File{Name: fmt.Sprintf("crds/crd-%s.yaml", pluralOf(c.Kind)), Data: []byte(heavyCRD(c.Kind, c.Bytes)), ModTime: modTime})
	}
	ch.Files = append(ch.Files, &common.File{Name: "README.md", Data: []byte(heavyReadme()), ModTime: modTime})
	ch.SetDependencies(monitoringSubcharts(subchartNames{"prometheus-node-exporter", "3.1.0", "1.16.2", "6.9.1"})...)
	return ch
}

// singleResource is one object of the chart's own CRDs (the operator
// would turn it into workloads; none runs on the simulated cluster).
func singleResource(kind, name string) string {
	return fmt.Sprintf(`apiVersion: %s/v1
kind: %s
metadata:
  name: %s
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: %s
`, CRDGroup, kind, name, strings.ToLower(kind))
}

// exporterServices are the Services the chart creates for the control
// plane's components, one per name.
func exporterServices(names ...string) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, service(n))
	}
	return strings.Join(parts, "---\n")
}

// heavyReadme is the chart's README: what it installs and a table of its
// dashboards, CRDs and rule groups.
func heavyReadme() string {
	var b strings.Builder
	b.WriteString("# kubecube-monitoring (bench)\n\nThe bench's heavy monitoring chart: the prometheus-operator's CRDs, Prometheus, Alertmanager, Grafana dashboards and alerting rules.\n\n## CRDs\n\n| CRD | file size |\n|---|---|\n")
	for _, c := range HeavyCRDs {
		fmt.Fprintf(&b, "| %s.%s | %d KiB |\n", pluralOf(c.Kind), CRDGroup, c.Bytes>>10)
	}
	b.WriteString("\n## Dashboards\n\n| dashboard | size | values key |\n|---|---|---|\n")
	for _, d := range HeavyDashboards {
		fmt.Fprintf(&b, "| %s | %d KiB | `defaultDashboards.dashboards.%s` |\n", d.Name, d.KiB, strings.ReplaceAll(d.Name, "-", ""))
	}
	return b.String()
}
