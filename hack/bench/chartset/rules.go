package chartset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// heavyRuleGroups is the number of PrometheusRule objects of the heavy
// monitoring chart (one template each, as kube-prometheus-stack has them).
const heavyRuleGroups = 37

// prometheusRule is the template of the PrometheusRule object number i:
// one group of alerting rules with their annotations (Prometheus templates
// escaped for Helm), about 10 KB.
func prometheusRule(i int) string {
	name := fmt.Sprintf("rules-%02d", i)
	g := newSchemaGen(name)
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: %s/v1
kind: PrometheusRule
metadata:
  name: {{ .Release.Name }}-%s
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  groups:
  - name: %s.rules
    rules:
`, CRDGroup, name, name)
	for range 14 + g.rnd.IntN(6) {
		writeAlert(&b, g.rnd)
	}
	return b.String()
}

// writeAlert writes one alerting rule.
func writeAlert(b *strings.Builder, rnd *rand.Rand) {
	w := func() string { return schemaWords[rnd.IntN(len(schemaWords))] }
	alert := strings.ToUpper(w()[:1]) + w()[1:] + strings.ToUpper(w()[:1]) + w()[1:]
	m := dashboardMetrics[rnd.IntN(len(dashboardMetrics))]
	summary := templateEscape.Replace(fmt.Sprintf("%s {{ $labels.namespace }}/{{ $labels.pod }} has %s %s for longer than %d minutes.", alert, w(), w(), 5+rnd.IntN(25)))
	fmt.Fprintf(b, `    - alert: %s
      annotations:
        description: %s
        runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/%s
        summary: %s %s.
      expr: |-
        sum by (namespace, pod) (rate(%s{job="kube-state-metrics", namespace=~".*"}[%dm])) > %d
      for: %dm
      labels:
        severity: %s
`, alert, summary, strings.ToLower(alert), w(), w(), m, 1+rnd.IntN(15), rnd.IntN(100), 5+rnd.IntN(25), []string{"warning", "critical", "info"}[rnd.IntN(3)])
}
