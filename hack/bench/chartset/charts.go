package chartset

import (
	"fmt"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// crdProperties sizes each CRD's schema (about 28 KB each, 12 CRDs).
const crdProperties = 50

// Monitoring returns the light set's monitoring chart: 12 CRDs in crds/, an
// operator, Prometheus and Alertmanager StatefulSets, dashboards and rules
// as ConfigMaps, custom resources of its own CRDs, a post-install hook Job,
// and three subcharts (kube-state-metrics, node-exporter, grafana).
func Monitoring() *chartv2.Chart {
	ch := newChart("monitoring", "15.4.12", "round: 1\ndashboards: 70\nrules: 42\nserviceMonitors: 8\ndashboardObjects: 4\n", map[string]string{
		"operator.yaml": serviceAccount("operator") + "---\n" + rbac("operator") + "---\n" + workload("Deployment", "operator", 1) + "---\n" + service("operator"),
		"prometheus.yaml": serviceAccount("prometheus") + "---\n" + rbac("prometheus") + "---\n" + role("prometheus") + "---\n" +
			workload("StatefulSet", "prometheus", 1) + "---\n" + service("prometheus"),
		"alertmanager.yaml": serviceAccount("alertmanager") + "---\n" + role("alertmanager") + "---\n" +
			workload("StatefulSet", "alertmanager", 1) + "---\n" + service("alertmanager"),
		"dashboards.yaml":      configMaps("dashboard", "dashboards", 2000),
		"rules.yaml":           configMaps("rules", "rules", 1000),
		"servicemonitors.yaml": customResources("ServiceMonitor", "sm", "serviceMonitors"),
		"dashboardobjs.yaml":   customResources("Dashboard", "dash", "dashboardObjects"),
		"admission-job.yaml":   hookJob("admission-patch", "post-install,post-upgrade"),
	})
	for _, k := range CRDKinds {
		ch.Files = append(ch.Files, &common.File{Name: fmt.Sprintf("crds/%s.yaml", k), Data: []byte(crd(k, crdProperties)), ModTime: modTime})
	}
	ch.SetDependencies(monitoringSubcharts(subchartNames{"node-exporter", "5.10.0", "4.20.0", "7.0.0"})...)
	return ch
}

// subchartNames are what the two monitoring charts' subcharts differ in:
// node-exporter's chart name and the three charts' versions.
type subchartNames struct {
	nodeExporter                   string
	ksmVersion, neVersion, grafana string
}

// monitoringSubcharts are kube-state-metrics, node-exporter and grafana
// (with 12 dashboards), as both monitoring charts vendor them.
func monitoringSubcharts(n subchartNames) []*chartv2.Chart {
	ksm := newChart("kube-state-metrics", n.ksmVersion, "round: 1\n", map[string]string{
		"all.yaml": serviceAccount("kube-state-metrics") + "---\n" + rbac("kube-state-metrics") + "---\n" +
			workload("Deployment", "kube-state-metrics", 1) + "---\n" + service("kube-state-metrics"),
	})
	nodeExporter := newChart(n.nodeExporter, n.neVersion, "round: 1\n", map[string]string{
		"all.yaml": serviceAccount("node-exporter") + "---\n" + rbac("node-exporter") + "---\n" +
			workload("DaemonSet", "node-exporter", 1) + "---\n" + service("node-exporter"),
	})
	grafana := newChart("grafana", n.grafana, "round: 1\ndashboards: 12\n", map[string]string{
		"all.yaml": serviceAccount("grafana") + "---\n" + role("grafana") + "---\n" + rbac("grafana") + "---\n" +
			workload("Deployment", "grafana", 1) + "---\n" + service("grafana"),
		"dashboards.yaml": configMaps("grafana-dashboard", "dashboards", 1500),
	})
	return []*chartv2.Chart{ksm, nodeExporter, grafana}
}

// Thanos returns a thanos-shaped chart whose ServiceMonitors are of a kind
// the monitoring chart's CRDs bring.
func Thanos() *chartv2.Chart {
	return newChart("thanos", "3.18.0", "round: 1\nserviceMonitors: 3\n", map[string]string{
		"query.yaml":   serviceAccount("query") + "---\n" + workload("Deployment", "query", 2) + "---\n" + service("query"),
		"store.yaml":   serviceAccount("store") + "---\n" + workload("StatefulSet", "store", 1) + "---\n" + service("store"),
		"compact.yaml": serviceAccount("compact") + "---\n" + workload("Deployment", "compact", 1),
		"config.yaml":  configMaps("objstore", "serviceMonitors", 500),
		"sm.yaml":      customResources("ServiceMonitor", "thanos", "serviceMonitors"),
	})
}

// Logseer returns a small chart with a pre-install hook Job.
func Logseer() *chartv2.Chart {
	return newChart("logseer", "2.3.0", "round: 1\nconfigs: 2\n", map[string]string{
		"all.yaml":    serviceAccount("logseer") + "---\n" + role("logseer") + "---\n" + workload("Deployment", "logseer", 1) + "---\n" + service("logseer"),
		"config.yaml": configMaps("logseer", "configs", 800),
		"init.yaml":   hookJob("init-db", "pre-install,pre-upgrade"),
	})
}

// Loggie returns a small DaemonSet chart.
func Loggie() *chartv2.Chart {
	return newChart("loggie", "1.3.0", "round: 1\nconfigs: 1\n", map[string]string{
		"all.yaml":    serviceAccount("loggie") + "---\n" + rbac("loggie") + "---\n" + workload("DaemonSet", "loggie", 1),
		"config.yaml": configMaps("loggie", "configs", 800),
	})
}
