// Package chartset writes the benchmark's chart sets: four charts shaped
// like KubeCube's monitoring, thanos, logseer and logagent add-ons, one of
// which (thanos) uses a kind the monitoring chart's CRDs bring (the
// cross-chart CRD race of concurrent installs) and two of which have hook
// Jobs. The charts are built in memory and packaged with Helm's own Save,
// so the bench needs no chart sources on disk.
//
// The sets differ in the monitoring chart:
//
//   - Heavy is shaped like KubeCube's published kubecube-monitoring 15.4.7
//     as issue 21 measured it: 5.0 MB unpacked; ten prometheus-operator
//     CRDs of 3.8 to 328 KB, about 1.3 MB in all (prometheuses 328 KB,
//     thanosrulers 254 KB, alertmanagers 247 KB, alertmanagerconfigs 122 KB;
//     HeavyCRDs), their schemas generated as large structural trees; 30
//     Grafana dashboards as ConfigMaps of 18 to 200 KiB of JSON (HeavyDashboards);
//     PrometheusRules, ServiceMonitors and PodMonitors of its own CRDs; and
//     kube-prometheus-stack's admission webhook hooks: ServiceAccount, Role,
//     ClusterRole and bindings in pre-install, pre-upgrade, post-install and
//     post-upgrade, a create Job before install and upgrade, a patch Job
//     after them, deleted before creation and on success. With thanos
//     3.18.0, logseer and the logagent (loggie) about 188 objects, as the
//     real set has.
//   - Light is the earlier, lighter monitoring chart: 12 CRDs of about 28 KB,
//     171 objects, one post-install hook Job; 198 objects in the set.
package chartset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// Component is one chart of the set as hotplug configures it.
type Component struct {
	// Name is the component (and release) name.
	Name string
	// Namespace the release goes to.
	Namespace string
	// Pkg is the package file name inside the chart directory.
	Pkg string
}

// Set names one of the chart sets; both are written to the same chart
// directory and differ in the monitoring chart's package.
type Set string

// The chart sets.
const (
	Heavy Set = "heavy"
	Light Set = "light"
)

// Sets are the chart sets in the order the bench measures them.
var Sets = []Set{Heavy, Light}

// ParseSet returns the set named s.
func ParseSet(s string) (Set, error) {
	for _, set := range Sets {
		if string(set) == s {
			return set, nil
		}
	}
	return "", fmt.Errorf("unknown chart set %q (want heavy or light)", s)
}

// CRDGroup is the API group of the monitoring charts' CRDs.
const CRDGroup = "monitoring.bench.hotplug.io"

// CRDKinds are the kinds the light monitoring chart defines (12 CRDs).
var CRDKinds = []string{
	"Prometheus", "Alertmanager", "ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe",
	"ThanosRuler", "AlertmanagerConfig", "ScrapeConfig", "PrometheusAgent", "Dashboard", "DashboardSource",
}

// Components are the set's four components in install order (the order
// the one-after-another baseline uses: the CRDs' chart first).
func (s Set) Components() []Component {
	mon := Component{Name: "monitoring", Namespace: "bench-monitoring", Pkg: "monitoring-15.4.12.tgz"}
	if s == Heavy {
		mon.Pkg = "kubecube-monitoring-15.4.7.tgz"
	}
	return []Component{
		mon,
		{Name: "thanos", Namespace: "bench-thanos", Pkg: "thanos-3.18.0.tgz"},
		{Name: "logseer", Namespace: "bench-logseer", Pkg: "logseer-2.3.0.tgz"},
		{Name: "loggie", Namespace: "bench-loggie", Pkg: "loggie-1.3.0.tgz"},
	}
}

// Edited are the components the bench's edit phase changes.
var Edited = []string{"monitoring", "thanos"}

// Values returns a component's values for round n of the bench: a change
// of round changes a pod template annotation of every workload (and the
// light set's ConfigMap data), so an edit rolls the workloads out.
func Values(round int) map[string]any { return map[string]any{"round": round} }

// modTime fixes the packages' timestamps: the same set gives the same bytes.
var modTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Write packages the charts of every set into dir (the monitoring chart
// in both shapes, the three others once) and returns their paths.
func Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chart directory: %w", err)
	}
	var out []string
	for _, ch := range []*chartv2.Chart{HeavyMonitoring(), Monitoring(), Thanos(), Logseer(), Loggie()} {
		p, err := chartutil.Save(ch, dir)
		if err != nil {
			return nil, fmt.Errorf("packaging %s: %w", ch.Name(), err)
		}
		out = append(out, p)
	}
	for _, set := range Sets {
		for _, c := range set.Components() {
			if _, err := os.Stat(filepath.Join(dir, c.Pkg)); err != nil {
				return nil, fmt.Errorf("package %s of the %s set: %w", c.Pkg, set, err)
			}
		}
	}
	return out, nil
}

// newChart returns a chart with metadata, default values and templates.
func newChart(name, version string, values string, templates map[string]string) *chartv2.Chart {
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: version, AppVersion: version, Type: "application"},
		Raw:      []*common.File{{Name: chartutil.ValuesfileName, Data: []byte(values), ModTime: modTime}},
		ModTime:  modTime,
	}
	for _, n := range sortedKeys(templates) {
		ch.Templates = append(ch.Templates, &common.File{Name: "templates/" + n, Data: []byte(templates[n]), ModTime: modTime})
	}
	return ch
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// meta is the metadata block every template shares.
func meta(name string) string {
	return fmt.Sprintf(`metadata:
  name: %s
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: %s
    app.kubernetes.io/instance: {{ .Release.Name }}
`, name, name)
}

// workload returns a Deployment, StatefulSet or DaemonSet whose pod
// template changes with .Values.round.
func workload(kind, name string, replicas int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: %s\n%sspec:\n", kind, meta(name))
	if kind != "DaemonSet" {
		fmt.Fprintf(&b, "  replicas: %d\n", replicas)
	}
	if kind == "StatefulSet" {
		fmt.Fprintf(&b, "  serviceName: %s\n", name)
	}
	fmt.Fprintf(&b, `  selector:
    matchLabels:
      app.kubernetes.io/name: %s
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %s
      annotations:
        bench/round: "{{ .Values.round }}"
    spec:
      serviceAccountName: %s
      containers:
      - name: main
        image: registry.bench.invalid/%s:1.0
        args: ["--round={{ .Values.round }}"]
        ports:
        - containerPort: 8080
          name: http
        resources:
          requests: {cpu: 10m, memory: 16Mi}
`, name, name, name, name)
	return b.String()
}

func service(name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
%sspec:
  selector:
    app.kubernetes.io/name: %s
  ports:
  - name: http
    port: 8080
    targetPort: http
`, meta(name), name)
}

func serviceAccount(name string) string {
	return "apiVersion: v1\nkind: ServiceAccount\n" + meta(name)
}

// rbac is a ClusterRole and its binding to the ServiceAccount name.
func rbac(name string) string {
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-%s
rules:
- apiGroups: [""]
  resources: [pods, services, endpoints, nodes, configmaps]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .Release.Name }}-%s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .Release.Name }}-%s
subjects:
- kind: ServiceAccount
  name: %s
  namespace: {{ .Release.Namespace }}
`, name, name, name, name)
}

// role is a namespaced Role and RoleBinding.
func role(name string) string {
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
%srules:
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
%sroleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: %s
subjects:
- kind: ServiceAccount
  name: %s
  namespace: {{ .Release.Namespace }}
`, meta(name), meta(name), name, name)
}

// configMaps is a range of count ConfigMaps of about size bytes each.
func configMaps(prefix, count string, size int) string {
	return fmt.Sprintf(`{{- range $i := until (int .Values.%s) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s-{{ $i }}
  namespace: {{ $.Release.Namespace }}
data:
  round: "{{ $.Values.round }}"
  content.json: |
    %s
{{- end }}
`, count, prefix, strings.Repeat(`{"panel":"cpu","expr":"sum(rate(x[5m]))"},`, size/42))
}

// customResources is a range of count objects of one of the monitoring
// chart's kinds.
func customResources(kind, prefix, count string) string {
	return fmt.Sprintf(`{{- range $i := until (int .Values.%s) }}
---
apiVersion: %s/v1
kind: %s
metadata:
  name: %s-{{ $i }}
  namespace: {{ $.Release.Namespace }}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: %s-{{ $i }}
  endpoints:
  - port: http
    interval: 30s
{{- end }}
`, count, CRDGroup, kind, prefix, prefix)
}

// hookJob is a Helm hook Job (with the hook weights and delete policy that
// charts like kube-prometheus-stack use).
func hookJob(name, hooks string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-%s
  namespace: {{ .Release.Namespace }}
  annotations:
    helm.sh/hook: %s
    helm.sh/hook-weight: "1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: registry.bench.invalid/hook:1.0
        args: ["--round={{ .Values.round }}"]
`, name, hooks)
}

// crd returns a CRD of kind in CRDGroup whose schema has about props
// documented properties nested three deep, like the prometheus-operator's.
func crd(kind string, props int) string {
	plural := pluralOf(kind)
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %s.%s
spec:
  group: %s
  scope: Namespaced
  names:
    kind: %s
    listKind: %sList
    plural: %s
    singular: %s
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: %s defines a monitoring object of the bench chart; the schema is large on purpose, like the prometheus-operator's.
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
`, plural, CRDGroup, CRDGroup, kind, kind, plural, strings.ToLower(kind), kind)
	for i := range props {
		fmt.Fprintf(&b, `              field%03d:
                type: object
                description: field%03d configures one aspect of the %s; when unset the operator's default applies, which is documented in the operator's reference and may change between minor versions.
                properties:
                  name:
                    type: string
                    description: name of the referenced object in the same namespace.
                  key:
                    type: string
                    description: key of the referenced object's data to use.
                  optional:
                    type: boolean
                    description: whether the reference must exist.
`, i, i, kind)
	}
	b.WriteString("          status:\n            type: object\n            x-kubernetes-preserve-unknown-fields: true\n")
	return b.String()
}
