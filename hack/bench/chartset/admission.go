package chartset

import "fmt"

// Hook annotations of the admission webhook's certificate Jobs, as
// kube-prometheus-stack has them: the Jobs' ServiceAccount and RBAC exist
// in all four phases (created before the create Job, deleted when the
// phase succeeded, created again before the patch Job), the create Job
// runs before install and upgrade, the patch Job after them. The weights
// order the RBAC before its Job in each phase.
const (
	AdmissionRBACHooks   = "pre-install,pre-upgrade,post-install,post-upgrade"
	AdmissionCreateHooks = "pre-install,pre-upgrade"
	AdmissionPatchHooks  = "post-install,post-upgrade"
	AdmissionRBACWeight  = "-5"
	AdmissionJobWeight   = "0"
	AdmissionDelete      = "before-hook-creation,hook-succeeded"
)

// admissionHookMeta is the metadata of one hook object of the admission
// webhook's certificate Jobs.
func admissionHookMeta(name, hooks, weight string, namespaced bool) string {
	ns := ""
	if namespaced {
		ns = "  namespace: {{ .Release.Namespace }}\n"
	}
	return fmt.Sprintf(`metadata:
  name: {{ .Release.Name }}-%s
%s  annotations:
    helm.sh/hook: %s
    helm.sh/hook-weight: "%s"
    helm.sh/hook-delete-policy: %s
  labels:
    app: {{ .Release.Name }}-admission
    app.kubernetes.io/instance: {{ .Release.Name }}
`, name, ns, hooks, weight, AdmissionDelete)
}

// admissionHooks is the template of the webhook certificate's hook
// objects: ServiceAccount, ClusterRole and binding, Role and binding, the
// create Job (writes the certificate's Secret) and the patch Job (puts
// its CA into the webhook configurations). On the simulated cluster kwok
// completes the Jobs' pods (restartPolicy Never, owned by a Job).
func admissionHooks() string {
	rbacMeta := func(namespaced bool) string {
		return admissionHookMeta("admission", AdmissionRBACHooks, AdmissionRBACWeight, namespaced)
	}
	// binding binds the hook's ServiceAccount to its ClusterRole or Role.
	binding := func(roleKind string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + roleKind + "Binding\n" + rbacMeta(roleKind == "Role") + `roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ` + roleKind + `
  name: {{ .Release.Name }}-admission
subjects:
- kind: ServiceAccount
  name: {{ .Release.Name }}-admission
  namespace: {{ .Release.Namespace }}
`
	}
	return "apiVersion: v1\nkind: ServiceAccount\n" + rbacMeta(true) + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
` + rbacMeta(false) + `rules:
- apiGroups: [admissionregistration.k8s.io]
  resources: [validatingwebhookconfigurations, mutatingwebhookconfigurations]
  verbs: [get, update]
---
` + binding("ClusterRole") + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
` + rbacMeta(true) + `rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create]
---
` + binding("Role") + `---
` + admissionJob("create", AdmissionCreateHooks, `["create", "--host=operator,operator.{{ .Release.Namespace }}.svc", "--namespace={{ .Release.Namespace }}", "--secret-name={{ .Release.Name }}-admission"]`) +
		"---\n" + admissionJob("patch", AdmissionPatchHooks, `["patch", "--webhook-name={{ .Release.Name }}-admission", "--namespace={{ .Release.Namespace }}", "--secret-name={{ .Release.Name }}-admission", "--patch-failure-policy=Fail"]`)
}

// admissionJob is one of the certificate Jobs.
func admissionJob(what, hooks, args string) string {
	return "apiVersion: batch/v1\nkind: Job\n" + admissionHookMeta("admission-"+what, hooks, AdmissionJobWeight, true) + fmt.Sprintf(`spec:
  backoffLimit: 1
  template:
    metadata:
      name: {{ .Release.Name }}-admission-%s
      annotations:
        bench/round: "{{ .Values.round }}"
    spec:
      serviceAccountName: {{ .Release.Name }}-admission
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
        runAsUser: 2000
      containers:
      - name: %s
        image: registry.bench.invalid/kube-webhook-certgen:v1.5.2
        imagePullPolicy: IfNotPresent
        args: %s
`, what, what, args)
}

// admissionWebhooks are the release's webhook configurations for
// PrometheusRules. Their namespace selector matches no namespace: the
// simulated cluster runs no webhook server, and a call to one would stall
// every PrometheusRule write.
func admissionWebhooks() string {
	hook := func(kind, path string) string {
		return fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: %sWebhookConfiguration
metadata:
  name: {{ .Release.Name }}-admission
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
webhooks:
- name: prometheusrule%s.%s
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: ["v1", "v1beta1"]
  timeoutSeconds: 10
  namespaceSelector:
    matchExpressions:
    - key: bench.hotplug.io/webhook-never
      operator: Exists
  rules:
  - apiGroups: [%s]
    apiVersions: ["*"]
    resources: [prometheusrules]
    operations: [CREATE, UPDATE]
  clientConfig:
    service:
      namespace: {{ .Release.Namespace }}
      name: operator
      path: /admission-prometheusrules/%s
`, kind, path, CRDGroup, CRDGroup, path)
	}
	return hook("Validating", "validate") + "---\n" + hook("Mutating", "mutate")
}
