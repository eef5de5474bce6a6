{{/* Chart name, trimmed to a DNS label. */}}
{{- define "hotplug.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object's name; short enough for "-agent-metrics" suffixes. */}}
{{- define "hotplug.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hotplug.agentName" -}}{{ include "hotplug.fullname" . }}-agent{{- end }}
{{- define "hotplug.hubName" -}}{{ include "hotplug.fullname" . }}-hub{{- end }}

{{/* The webhook configuration's name is fixed: the hub patches it by name. */}}
{{- define "hotplug.webhookName" -}}hotplug-hub{{- end }}

{{- define "hotplug.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "hotplug.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hotplug
{{- end }}

{{/* Selector labels of one component; call with (dict "ctx" . "component" "agent"). */}}
{{- define "hotplug.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hotplug.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "hotplug.componentLabels" -}}
{{ include "hotplug.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* image reference from {repository, tag, digest}; tag defaults to appVersion when def is set. */}}
{{- define "hotplug.imageRef" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (toString (default .default .image.tag)) }}
{{- end }}
{{- end }}

{{- define "hotplug.image" -}}
{{ include "hotplug.imageRef" (dict "image" .Values.image "default" .Chart.AppVersion) }}
{{- end }}

{{/* "true" when the component runs more than one replica (the hub's leader
election; the agent always elects a leader). */}}
{{- define "hotplug.leaderElect" -}}
{{- if gt (int .) 1 }}true{{ else }}false{{ end }}
{{- end }}

{{/* Fails rendering on value combinations the schema cannot express. */}}
{{- define "hotplug.validate" -}}
{{- if and (eq .Values.role "member") (not .Values.pivot.kubeconfigSecret.name) }}
{{- fail "pivot.kubeconfigSecret.name is required when role is member" }}
{{- end }}
{{- if not .Values.clusterName }}
{{- fail "clusterName is required" }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget; call with (dict "ctx" . "component" "agent" "name" ... "cfg" .Values.agent). */}}
{{- define "hotplug.pdb" -}}
{{- $min := .cfg.podDisruptionBudget.minAvailable }}
{{- if or (not (kindIs "invalid" $min)) (gt (int .cfg.replicas) 1) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "hotplug.componentLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
spec:
  minAvailable: {{ if kindIs "invalid" $min }}1{{ else }}{{ $min }}{{ end }}
  selector:
    matchLabels:
      {{- include "hotplug.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
{{- end }}
{{- end }}

{{/* The metrics Service and (when the API exists) ServiceMonitor of a component. */}}
{{- define "hotplug.metrics" -}}
{{- if .ctx.Values.metrics.service }}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}-metrics
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "hotplug.componentLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "hotplug.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
  ports:
    - name: metrics
      port: 8080
      targetPort: metrics
      protocol: TCP
{{- if and .ctx.Values.metrics.serviceMonitor.enabled (.ctx.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "hotplug.componentLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
    {{- with .ctx.Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "hotplug.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ .ctx.Values.metrics.serviceMonitor.interval }}
{{- end }}
{{- end }}
{{- end }}
