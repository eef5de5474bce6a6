{{/* Common labels, as `helm create` makes them. */}}
{{- define "thanos.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: thanos
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubecube
app.kubernetes.io/component: receive
{{- end }}

{{- define "thanos.selectorLabels" -}}
app.kubernetes.io/name: thanos
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: receive
{{- end }}
