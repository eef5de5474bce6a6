package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubecube-io/hotplug/internal/access"
)

// wantAgentArgs is the agent command line the issue prescribes; the agent
// always elects a leader, whatever its replicas.
func wantAgentArgs(cluster string, member bool) []string {
	args := []string{"agent", "--cluster-name=" + cluster, "--chart-dir=/root/helmchartpkg", "--namespace=" + releaseNamespace}
	if member {
		// The pivot's hotplug namespace (pivot.namespace, default kubecube-system) holds the heartbeat Lease.
		args = append(args, "--pivot-kubeconfig=/etc/hotplug/pivot/kubeconfig", "--pivot-namespace=kubecube-system")
	} else {
		args = append(args, "--pivot-namespace="+releaseNamespace)
	}
	return append(args, "--leader-elect=true", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081")
}

func container(t *testing.T, d *appsv1.Deployment, name string) corev1.Container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("deployment %s has no container %s", d.Name, name)
	return corev1.Container{}
}

func mount(c corev1.Container, path string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].MountPath == path {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

func volume(d *appsv1.Deployment, name string) *corev1.Volume {
	for i := range d.Spec.Template.Spec.Volumes {
		if d.Spec.Template.Spec.Volumes[i].Name == name {
			return &d.Spec.Template.Spec.Volumes[i]
		}
	}
	return nil
}

// checkHardening asserts the pod and container security settings and
// probes every hotplug workload must carry.
func checkHardening(t *testing.T, d *appsv1.Deployment, c corev1.Container) {
	t.Helper()
	ps := d.Spec.Template.Spec.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s pod securityContext = %+v", d.Name, ps)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s container securityContext = %+v", d.Name, sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("%s has no resource requests: %v", d.Name, c.Resources)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "health" {
		t.Errorf("%s liveness probe = %+v", d.Name, p)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.String() != "health" {
		t.Errorf("%s readiness probe = %+v", d.Name, p)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["health"] != 8081 || ports["metrics"] != 8080 {
		t.Errorf("%s ports = %v", d.Name, ports)
	}
	if mount(c, "/tmp") == nil {
		t.Errorf("%s: no writable /tmp under a read-only root filesystem", d.Name)
	}
}

func TestPivotRender(t *testing.T) {
	r := mustRender(t, pivotValues())

	agent := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-agent"))
	ac := container(t, agent, "agent")
	if !slices.Equal(ac.Args, wantAgentArgs("pivot-cluster", false)) {
		t.Errorf("agent args = %q", ac.Args)
	}
	if ac.Image != "ghcr.io/kubecube-io/hotplug:0.1.0" {
		t.Errorf("agent image = %s, want the appVersion tag", ac.Image)
	}
	checkHardening(t, agent, ac)
	if v := volume(agent, "charts"); v == nil || v.EmptyDir == nil || mount(ac, "/root/helmchartpkg") == nil {
		t.Errorf("chart dir is not an emptyDir at /root/helmchartpkg: %+v", v)
	}
	if agent.Spec.Template.Spec.ServiceAccountName != "hotplug-agent" {
		t.Errorf("agent service account = %s", agent.Spec.Template.Spec.ServiceAccountName)
	}

	hub := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-hub"))
	hc := container(t, hub, "hub")
	wantHub := []string{"hub", "--namespace=" + releaseNamespace, "--webhook-port=9443", "--webhook-service=hotplug-hub",
		"--cert-dir=/tmp/hotplug-certs", "--heartbeat-timeout=2m", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--leader-elect=false"}
	if !slices.Equal(hc.Args, wantHub) {
		t.Errorf("hub args = %q\nwant %q", hc.Args, wantHub)
	}
	checkHardening(t, hub, hc)

	svc := typed[corev1.Service](t, r.mustFind(t, "Service", "hotplug-hub"))
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.String() != "webhook" || svc.Spec.Selector["app.kubernetes.io/component"] != "hub" {
		t.Errorf("hub service = %+v", svc.Spec)
	}
	for _, name := range []string{"hotplug-agent-metrics", "hotplug-hub-metrics"} {
		ms := typed[corev1.Service](t, r.mustFind(t, "Service", name))
		if len(ms.Spec.Ports) != 1 || ms.Spec.Ports[0].Name != "metrics" || ms.Spec.Ports[0].Port != 8080 {
			t.Errorf("%s ports = %+v", name, ms.Spec.Ports)
		}
	}

	vwc := typed[admissionregistrationv1.ValidatingWebhookConfiguration](t, r.mustFind(t, "ValidatingWebhookConfiguration", "hotplug-hub"))
	if len(vwc.Webhooks) != 1 {
		t.Fatalf("webhooks = %d", len(vwc.Webhooks))
	}
	w := vwc.Webhooks[0]
	s := w.ClientConfig.Service
	if len(w.ClientConfig.CABundle) != 0 || s == nil || s.Name != "hotplug-hub" || s.Namespace != releaseNamespace || s.Path == nil || *s.Path != "/validate-hotplug" || s.Port == nil || *s.Port != 443 {
		t.Errorf("webhook clientConfig = %+v (service %+v)", w.ClientConfig, s)
	}
	if *w.FailurePolicy != admissionregistrationv1.Fail || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
		t.Errorf("failurePolicy %v sideEffects %v", *w.FailurePolicy, *w.SideEffects)
	}
	// Hotplugs on every change, deletes included (the blast-radius guard),
	// and Clusters on create (a Cluster named common is refused) and delete
	// (a Cluster whose Hotplug enables components is guarded).
	if len(w.Rules) != 2 {
		t.Fatalf("webhook rules = %+v, want two", w.Rules)
	}
	hpRule, clRule := w.Rules[0], w.Rules[1]
	if !slices.Equal(hpRule.APIGroups, []string{"hotplug.kubecube.io"}) || !slices.Equal(hpRule.APIVersions, []string{"v1"}) ||
		!slices.Equal(hpRule.Resources, []string{"hotplugs"}) || !slices.Equal(hpRule.Operations, []admissionregistrationv1.OperationType{"CREATE", "UPDATE", "DELETE"}) {
		t.Errorf("hotplug webhook rule = %+v", hpRule)
	}
	if !slices.Equal(clRule.APIGroups, []string{"cluster.kubecube.io"}) || !slices.Equal(clRule.Resources, []string{"clusters"}) ||
		!slices.Equal(clRule.Operations, []admissionregistrationv1.OperationType{"CREATE", "DELETE"}) {
		t.Errorf("cluster webhook rule = %+v", clRule)
	}
	if _, ok := vwc.Annotations["cert-manager.io/inject-ca-from"]; ok {
		t.Error("inject-ca-from annotation without cert-manager")
	}

	// One replica: no PDB, no ServiceMonitor when the cluster lacks the API.
	for _, kind := range []string{"PodDisruptionBudget", "ServiceMonitor", "Certificate", "Issuer"} {
		for _, o := range r.Objects {
			if o.GetKind() == kind {
				t.Errorf("unexpected %s %s", kind, o.GetName())
			}
		}
	}
	if !strings.Contains(r.Notes, "pivot") || !strings.Contains(r.Notes, "rollout restart deploy/hotplug-agent") {
		t.Errorf("NOTES = %s", r.Notes)
	}
}

func TestMemberRender(t *testing.T) {
	r := mustRender(t, memberValues())
	agent := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-agent"))
	ac := container(t, agent, "agent")
	if !slices.Equal(ac.Args, wantAgentArgs("member-1", true)) {
		t.Errorf("agent args = %q", ac.Args)
	}
	m := mount(ac, "/etc/hotplug/pivot")
	v := volume(agent, "pivot-kubeconfig")
	if m == nil || !m.ReadOnly || v == nil || v.Secret == nil || v.Secret.SecretName != "hotplug-pivot-kubeconfig" ||
		len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != "kubeconfig" || v.Secret.Items[0].Path != "kubeconfig" {
		t.Errorf("pivot kubeconfig mount %+v volume %+v", m, v)
	}
	checkHardening(t, agent, ac)
	for _, o := range r.Objects {
		if strings.Contains(o.GetName(), "hub") || o.GetKind() == "ValidatingWebhookConfiguration" {
			t.Errorf("member role renders %s %s", o.GetKind(), o.GetName())
		}
	}
	// A member mirrors Hotplugs and protects them with a policy: it alone gets
	// create/delete on Hotplugs and the admission policy rights.
	role := typed[rbacv1.ClusterRole](t, r.mustFind(t, "ClusterRole", "hotplug-agent"))
	if !grants(role.Rules, "hotplug.kubecube.io", "hotplugs", "create") || !grants(role.Rules, "admissionregistration.k8s.io", "validatingadmissionpolicies", "create") {
		t.Errorf("member agent role lacks mirror rights: %+v", role.Rules)
	}
	pivotRole := typed[rbacv1.ClusterRole](t, mustRender(t, pivotValues()).mustFind(t, "ClusterRole", "hotplug-agent"))
	if grants(pivotRole.Rules, "hotplug.kubecube.io", "hotplugs", "delete") {
		t.Error("the pivot agent may delete Hotplugs")
	}
}

// grants reports whether any rule allows verb on group/resource (no
// resourceNames restriction).
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) && len(r.ResourceNames) == 0 {
			return true
		}
	}
	return false
}

// TestAgentIsOneWriter: one agent acts per cluster, in the chart (pivot and
// member, any replicas) and in the kustomize tree: it always elects a leader
// and is upgraded with the Recreate strategy, so an old and a new agent never
// act at once.
func TestAgentIsOneWriter(t *testing.T) {
	one := pivotValues()
	three := memberValues()
	three["agent"] = map[string]any{"replicas": 3}
	for name, vals := range map[string]map[string]any{"pivot, 1 replica": one, "member, 3 replicas": three} {
		d := typed[appsv1.Deployment](t, mustRender(t, vals).mustFind(t, "Deployment", "hotplug-agent"))
		if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate != nil {
			t.Errorf("%s: agent strategy = %+v, want Recreate", name, d.Spec.Strategy)
		}
		if args := container(t, d, "agent").Args; !slices.Contains(args, "--leader-elect=true") {
			t.Errorf("%s: agent args = %q, want --leader-elect=true", name, args)
		}
	}
	for _, o := range kustomizeBuild(t) {
		if o.GetKind() != "Deployment" || o.GetName() != "hotplug-agent" {
			continue
		}
		d := typed[appsv1.Deployment](t, o)
		if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("kustomize agent strategy = %+v, want Recreate", d.Spec.Strategy)
		}
		if args := container(t, d, "agent").Args; !slices.Contains(args, "--leader-elect=true") {
			t.Errorf("kustomize agent args = %q, want --leader-elect=true", args)
		}
	}
}

func TestReplicasElectLeaderAndGetPDB(t *testing.T) {
	vals := pivotValues()
	vals["agent"] = map[string]any{"replicas": 2}
	vals["hub"] = map[string]any{"replicas": 3}
	r := mustRender(t, vals)
	for _, name := range []string{"hotplug-agent", "hotplug-hub"} {
		d := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", name))
		if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "--leader-elect=true") {
			t.Errorf("%s args = %q", name, d.Spec.Template.Spec.Containers[0].Args)
		}
		pdb := typed[policyv1.PodDisruptionBudget](t, r.mustFind(t, "PodDisruptionBudget", name))
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 || pdb.Spec.Selector.MatchLabels["app.kubernetes.io/component"] != strings.TrimPrefix(name, "hotplug-") {
			t.Errorf("%s PDB = %+v", name, pdb.Spec)
		}
	}
	if d := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-hub")); *d.Spec.Replicas != 3 {
		t.Errorf("hub replicas = %d", *d.Spec.Replicas)
	}
	// Standby agents take over fast; a single agent keeps the quiet
	// defaults (no timing flags, see wantAgentArgs).
	fast := []string{"--leader-elect-lease-duration=15s", "--leader-elect-renew-deadline=10s", "--leader-elect-retry-period=2s"}
	args := container(t, typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-agent")), "agent").Args
	for _, a := range fast {
		if !slices.Contains(args, a) {
			t.Errorf("two agents: args %q lack %s", args, a)
		}
	}

	// An explicit minAvailable makes a PDB even with one replica.
	vals = memberValues()
	vals["agent"] = map[string]any{"podDisruptionBudget": map[string]any{"minAvailable": "50%"}}
	pdb := typed[policyv1.PodDisruptionBudget](t, mustRender(t, vals).mustFind(t, "PodDisruptionBudget", "hotplug-agent"))
	if pdb.Spec.MinAvailable.String() != "50%" {
		t.Errorf("minAvailable = %s", pdb.Spec.MinAvailable.String())
	}
}

func TestServiceMonitorOnlyWithTheAPI(t *testing.T) {
	r := mustRender(t, pivotValues(), "monitoring.coreos.com/v1")
	for _, name := range []string{"hotplug-agent", "hotplug-hub"} {
		sm := r.mustFind(t, "ServiceMonitor", name)
		port, _, _ := unstructuredString(sm.Object, "spec", "endpoints", "0", "port")
		if port != "metrics" {
			t.Errorf("%s endpoint port = %q", name, port)
		}
	}
	vals := pivotValues()
	vals["metrics"] = map[string]any{"serviceMonitor": map[string]any{"enabled": false}}
	if mustRender(t, vals, "monitoring.coreos.com/v1").find("ServiceMonitor", "hotplug-agent") != nil {
		t.Error("ServiceMonitor rendered although disabled")
	}
}

// unstructuredString walks maps and (by decimal index) slices.
func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	var cur any = obj
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i := 0
			for _, ch := range p {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return "", false, nil
			}
			cur = c[i]
		default:
			return "", false, nil
		}
	}
	s, ok := cur.(string)
	return s, ok, nil
}

func TestChartBundleSources(t *testing.T) {
	vals := memberValues()
	vals["chartBundle"] = map[string]any{
		"image":      map[string]any{"repository": "registry.example/hotplug-charts", "tag": "2024.06"},
		"configMaps": []any{"charts-a", "charts-b"},
		"volume":     map[string]any{"persistentVolumeClaim": map[string]any{"claimName": "charts"}},
	}
	r := mustRender(t, vals)
	d := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-agent"))
	inits := d.Spec.Template.Spec.InitContainers
	names := []string{}
	for _, c := range inits {
		names = append(names, c.Name)
		if mount(c, "/root/helmchartpkg") == nil {
			t.Errorf("init container %s does not fill /root/helmchartpkg", c.Name)
		}
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			t.Errorf("init container %s is not hardened", c.Name)
		}
	}
	if !slices.Equal(names, []string{"chart-bundle", "chart-configmaps", "chart-volume"}) {
		t.Fatalf("init containers = %v", names)
	}
	if inits[0].Image != "registry.example/hotplug-charts:2024.06" || !strings.Contains(strings.Join(inits[0].Command, " "), `cp -R "$BUNDLE_PATH"/.`) {
		t.Errorf("bundle init = %s %q", inits[0].Image, inits[0].Command)
	}
	if inits[1].Image != "busybox:1.37" || mount(inits[1], "/bundle/configmaps/1") == nil {
		t.Errorf("configmap init = %s %+v", inits[1].Image, inits[1].VolumeMounts)
	}
	if v := volume(d, "chart-configmap-1"); v == nil || v.ConfigMap == nil || v.ConfigMap.Name != "charts-b" {
		t.Errorf("configmap volume = %+v", v)
	}
	if v := volume(d, "chart-volume"); v == nil || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "charts" {
		t.Errorf("chart volume = %+v", v)
	}
	// Changing the bundle restarts the agent so the new packages are copied.
	before := d.Spec.Template.Annotations["hotplug.kubecube.io/chart-bundle"]
	vals["chartBundle"].(map[string]any)["image"].(map[string]any)["tag"] = "2024.07"
	after := typed[appsv1.Deployment](t, mustRender(t, vals).mustFind(t, "Deployment", "hotplug-agent")).Spec.Template.Annotations["hotplug.kubecube.io/chart-bundle"]
	if before == "" || before == after {
		t.Errorf("bundle checksum %q -> %q", before, after)
	}
	// No source: no init containers, the emptyDir stays empty.
	d = typed[appsv1.Deployment](t, mustRender(t, memberValues()).mustFind(t, "Deployment", "hotplug-agent"))
	if n := len(d.Spec.Template.Spec.InitContainers); n != 0 {
		t.Errorf("%d init containers without a bundle", n)
	}
}

func TestCertManager(t *testing.T) {
	vals := pivotValues()
	vals["certManager"] = map[string]any{"enabled": true}
	r := mustRender(t, vals)
	vwc := r.mustFind(t, "ValidatingWebhookConfiguration", "hotplug-hub")
	if got := vwc.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != releaseNamespace+"/hotplug-hub" {
		t.Errorf("inject-ca-from = %q", got)
	}
	cert := r.mustFind(t, "Certificate", "hotplug-hub")
	secret, _, _ := unstructuredString(cert.Object, "spec", "secretName")
	issuer, _, _ := unstructuredString(cert.Object, "spec", "issuerRef", "name")
	dns, _, _ := unstructuredString(cert.Object, "spec", "dnsNames", "0")
	if secret != "hotplug-hub-tls" || issuer != "hotplug-hub-selfsigned" || dns != "hotplug-hub."+releaseNamespace+".svc" {
		t.Errorf("certificate secret %q issuer %q dns %q", secret, issuer, dns)
	}
	r.mustFind(t, "Issuer", "hotplug-hub-selfsigned")
	hub := typed[appsv1.Deployment](t, r.mustFind(t, "Deployment", "hotplug-hub"))
	hc := container(t, hub, "hub")
	if !slices.Contains(hc.Args, "--cert-dir=/etc/hotplug/certs") || !slices.Contains(hc.Args, "--manage-certs=false") || slices.Contains(hc.Args, "--cert-dir=/tmp/hotplug-certs") {
		t.Errorf("hub args = %q", hc.Args)
	}
	if v := volume(hub, "certs"); v == nil || v.Secret == nil || v.Secret.SecretName != "hotplug-hub-tls" || mount(hc, "/etc/hotplug/certs") == nil {
		t.Errorf("certs volume = %+v", v)
	}

	// A given issuer replaces the self-signed one.
	vals["certManager"] = map[string]any{"enabled": true, "issuerRef": map[string]any{"name": "corp-ca", "kind": "ClusterIssuer"}}
	r = mustRender(t, vals)
	if r.find("Issuer", "hotplug-hub-selfsigned") != nil {
		t.Error("self-signed Issuer rendered although an issuer was given")
	}
	kind, _, _ := unstructuredString(r.mustFind(t, "Certificate", "hotplug-hub").Object, "spec", "issuerRef", "kind")
	if kind != "ClusterIssuer" {
		t.Errorf("issuerRef.kind = %q", kind)
	}
}

func TestMemberAccess(t *testing.T) {
	vals := pivotValues()
	vals["memberAccess"] = map[string]any{"clusters": []any{"member-1", "member-2"}}
	r := mustRender(t, vals)
	role := typed[rbacv1.ClusterRole](t, r.mustFind(t, "ClusterRole", "hotplug-member-member-1"))
	// The chart grants exactly what the code's own definition (used by the
	// fleet e2e test, which proves it is enough) grants.
	codeRole, _ := access.MemberOnPivot("member-1", rbacv1.Subject{})
	want := codeRole.Rules
	if d := diffRules(want, role.Rules); d != "" {
		t.Errorf("member-1 rules differ:\n%s", d)
	}
	crb := typed[rbacv1.ClusterRoleBinding](t, r.mustFind(t, "ClusterRoleBinding", "hotplug-member-member-2"))
	subjects := []string{}
	for _, s := range crb.Subjects {
		subjects = append(subjects, s.Kind+":"+s.Namespace+"/"+s.Name)
	}
	if crb.RoleRef.Name != "hotplug-member-member-2" || !slices.Equal(subjects, []string{"ServiceAccount:" + releaseNamespace + "/hotplug-member-member-2", "User:/hotplug-agent:member-2"}) {
		t.Errorf("binding %s -> %v", crb.RoleRef.Name, subjects)
	}
	// The revision Secrets: the same RoleBinding the code defines.
	rb := typed[rbacv1.RoleBinding](t, r.mustFind(t, "RoleBinding", "hotplug-member-member-2"))
	codeRB := access.RevisionsOnPivot("member-2", releaseNamespace, rbacv1.Subject{})
	if rb.Namespace != codeRB.Namespace || rb.RoleRef != codeRB.RoleRef || len(rb.Subjects) != len(crb.Subjects) {
		t.Errorf("revisions binding = %s/%s -> %+v (%d subjects), want %s/%s -> %+v", rb.Namespace, rb.Name, rb.RoleRef, len(rb.Subjects),
			codeRB.Namespace, codeRB.Name, codeRB.RoleRef)
	}
	tok := typed[corev1.Secret](t, r.mustFind(t, "Secret", "hotplug-member-member-2-token"))
	if tok.Type != corev1.SecretTypeServiceAccountToken || tok.Annotations[corev1.ServiceAccountNameKey] != "hotplug-member-member-2" {
		t.Errorf("token secret = %+v", tok)
	}
	r.mustFind(t, "ServiceAccount", "hotplug-member-member-1")

	// Only users, no ServiceAccounts.
	vals["memberAccess"] = map[string]any{"clusters": []any{"member-1"}, "serviceAccounts": false}
	r = mustRender(t, vals)
	if r.find("ServiceAccount", "hotplug-member-member-1") != nil || r.find("Secret", "hotplug-member-member-1-token") != nil {
		t.Error("ServiceAccount or token rendered with serviceAccounts: false")
	}
	crb = typed[rbacv1.ClusterRoleBinding](t, r.mustFind(t, "ClusterRoleBinding", "hotplug-member-member-1"))
	if len(crb.Subjects) != 1 || crb.Subjects[0].Kind != "User" {
		t.Errorf("subjects = %+v", crb.Subjects)
	}
}

func TestAgentRBACOverrides(t *testing.T) {
	vals := pivotValues()
	vals["agent"] = map[string]any{"rbac": map[string]any{"clusterAdmin": true}}
	r := mustRender(t, vals)
	if r.find("ClusterRole", "hotplug-agent-charts") != nil {
		t.Error("charts ClusterRole rendered although cluster-admin is bound")
	}
	crb := typed[rbacv1.ClusterRoleBinding](t, r.mustFind(t, "ClusterRoleBinding", "hotplug-agent-charts"))
	if crb.RoleRef.Name != "cluster-admin" {
		t.Errorf("roleRef = %s", crb.RoleRef.Name)
	}
	// The agent's own rights do not depend on the charts' rules.
	r.mustFind(t, "ClusterRole", "hotplug-agent")

	narrow := []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{"get", "create"}}}
	extra := []any{map[string]any{"apiGroups": []any{"storage.k8s.io"}, "resources": []any{"storageclasses"}, "verbs": []any{"get"}}}
	vals["agent"] = map[string]any{"rbac": map[string]any{"rules": narrow, "extraRules": extra}}
	role := typed[rbacv1.ClusterRole](t, mustRender(t, vals).mustFind(t, "ClusterRole", "hotplug-agent-charts"))
	if len(role.Rules) != 2 || role.Rules[0].Resources[0] != "configmaps" || role.Rules[1].Resources[0] != "storageclasses" {
		t.Errorf("overridden rules = %+v", role.Rules)
	}
}

func TestBadValuesAreRefused(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"unknown role", func(v map[string]any) { v["role"] = "other" }, "/role"},
		{"missing clusterName", func(v map[string]any) { delete(v, "clusterName") }, "/clusterName"},
		{"clusterName not a DNS label", func(v map[string]any) { v["clusterName"] = "Pivot_Cluster" }, "/clusterName"},
		{"member without pivot kubeconfig Secret", func(v map[string]any) { v["role"] = "member" }, "/pivot/kubeconfigSecret/name"},
		{"zero replicas", func(v map[string]any) { v["agent"] = map[string]any{"replicas": 0} }, "/agent/replicas"},
		{"misspelt top-level key", func(v map[string]any) { v["clustername"] = "x" }, "clustername"},
		{"bad member cluster name", func(v map[string]any) { v["memberAccess"] = map[string]any{"clusters": []any{"Member 1"}} }, "/memberAccess/clusters/0"},
		{"rule without verbs", func(v map[string]any) {
			v["agent"] = map[string]any{"rbac": map[string]any{"extraRules": []any{map[string]any{"apiGroups": []any{""}}}}}
		}, "/agent/rbac/extraRules/0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := pivotValues()
			tc.edit(vals)
			_, err := renderChart(t, vals)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error does not name %s:\n%v", tc.field, err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
	// A member with the Secret named but an empty one is refused too.
	vals := memberValues()
	vals["pivot"] = map[string]any{"kubeconfigSecret": map[string]any{"name": ""}}
	if _, err := renderChart(t, vals); err == nil || !strings.Contains(err.Error(), "/pivot/kubeconfigSecret/name") {
		t.Errorf("empty Secret name: %v", err)
	}
}

// TestChartSecrets: chartSecrets make the Secrets a member's charts from a
// registry name, in the release namespace (the agent's --namespace), with
// their type and keys; none are rendered by default.
func TestChartSecrets(t *testing.T) {
	for _, o := range mustRender(t, memberValues()).Objects {
		if o.GetKind() == "Secret" && o.GetName() == "harbor-pull" {
			t.Error("a Secret for charts is rendered without chartSecrets")
		}
	}
	vals := memberValues()
	vals["chartSecrets"] = []any{map[string]any{"name": "harbor-pull", "type": "kubernetes.io/basic-auth",
		"stringData": map[string]any{"username": "robot$fleet", "password": "p: \"quoted\"", "ca.crt": "-----BEGIN CERTIFICATE-----\nX\n"}}}
	sec := typed[corev1.Secret](t, mustRender(t, vals).mustFind(t, "Secret", "harbor-pull"))
	if sec.Type != corev1.SecretTypeBasicAuth || sec.StringData["username"] != "robot$fleet" ||
		sec.StringData["password"] != "p: \"quoted\"" || sec.StringData["ca.crt"] != "-----BEGIN CERTIFICATE-----\nX\n" {
		t.Errorf("chart Secret %+v", sec)
	}
	vals["chartSecrets"] = []any{map[string]any{"name": "Bad_Name"}}
	if _, err := renderChart(t, vals); err == nil || !strings.Contains(err.Error(), "chartSecrets") {
		t.Errorf("a bad Secret name renders: %v", err)
	}
}

// TestHubDashboard: the fleet view is off by default (no port, no flag, no
// review or impersonation rights); hub.dashboard.enabled serves it on the
// hub Service's dashboard port and grants exactly those rights.
func TestHubDashboard(t *testing.T) {
	has := func(r *rendered, kind, name, want string) bool {
		t.Helper()
		data, err := json.Marshal(r.mustFind(t, kind, name).Object)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(data), want)
	}
	off := mustRender(t, pivotValues())
	for kind, want := range map[string]string{"Deployment": "--dashboard-bind-address", "Service": `"dashboard"`, "ClusterRole": "impersonate"} {
		if has(off, kind, "hotplug-hub", want) {
			t.Errorf("dashboard off, yet the hub's %s has %s", kind, want)
		}
	}
	vals := pivotValues()
	vals["hub"] = map[string]any{"dashboard": map[string]any{"enabled": true, "port": 8095}}
	on := mustRender(t, vals)
	for kind, want := range map[string]string{"Deployment": "--dashboard-bind-address=:8095", "Service": `"port":8095`,
		"ClusterRole": `"resources":["tokenreviews"]`} {
		if !has(on, kind, "hotplug-hub", want) {
			t.Errorf("dashboard on: the hub's %s lacks %s", kind, want)
		}
	}
	if !has(on, "ClusterRole", "hotplug-hub", `"resources":["users","groups","serviceaccounts"],"verbs":["impersonate"]`) {
		t.Error("dashboard on: the hub may not impersonate")
	}
}
