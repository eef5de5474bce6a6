package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// TestTokenMode runs the hub's view against a real kube-apiserver: no
// token 401, a token it does not accept 401, a person without read 403
// naming the missing permission, a reader (through a group binding: the
// review carries groups) reads but its forced action is the API server's
// own 403 as that person (impersonated), an operator's pause changes
// common; a pasted token becomes an HttpOnly, Secure, SameSite=Strict
// cookie that then authenticates.
func TestTokenMode(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot"})
	cfg := env.Cluster("pivot").Config
	admin, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(cfg)
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}}
	if err := admin.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	role := func(name string, rules ...rbacv1.PolicyRule) {
		if err := admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}); err != nil {
			t.Fatal(err)
		}
	}
	read := rbacv1.PolicyRule{APIGroups: []string{"hotplug.kubecube.io", "cluster.kubecube.io"}, Resources: []string{"hotplugs", "clusters"}, Verbs: []string{"get", "list", "watch"}}
	role("fleet-reader", read)
	role("fleet-operator", read, rbacv1.PolicyRule{APIGroups: []string{"hotplug.kubecube.io"}, Resources: []string{"hotplugs"}, Verbs: []string{"patch"}})
	bind := func(name, roleName string, subject rbacv1.Subject) {
		if err := admin.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}, Subjects: []rbacv1.Subject{subject}}); err != nil {
			t.Fatal(err)
		}
	}
	// Readers get it through their group: every service account of "team".
	bind("team-reads", "fleet-reader", rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts:team"})
	bind("ops-operates", "fleet-operator", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "operator", Namespace: "ops"})
	token := func(ns, name string) string {
		_ = admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err := admin.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
			t.Fatal(err)
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	reader, operator, nobody := token("team", "reader"), token("ops", "operator"), token("ops", "nobody")

	b := NewBroker()
	if err := b.Publish(Build(nil, common, time.Now())); err != nil {
		t.Fatal(err)
	}
	auth := &TokenAuth{Client: admin}
	srv := httptest.NewServer(NewHandler(Options{Broker: b, Auth: auth, Log: logr.Discard(),
		Actions: ImpersonatingActions{Config: cfg, Namespace: rollout.DefaultNamespace, Auth: auth}}))
	defer srv.Close()
	call := func(method, path, bearer, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		return do(t, req)
	}
	if code, _ := call("GET", "/api/snapshot", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := call("GET", "/api/snapshot", "not-a-token", ""); code != http.StatusUnauthorized {
		t.Errorf("a token the API server does not accept: %d, want 401", code)
	}
	if code, text := call("GET", "/api/snapshot", nobody, ""); code != http.StatusForbidden || !strings.Contains(text, `"system:serviceaccount:ops:nobody" may not list clusters.cluster.kubecube.io`) {
		t.Errorf("no read right: %d %q, want 403 naming the verb and resource", code, text)
	}
	if code, _ := call("GET", "/", "", ""); code != http.StatusOK {
		t.Errorf("the page (its login form) without a token: %d", code)
	}
	if code, _ := call("GET", "/api/snapshot", reader, ""); code != http.StatusOK {
		t.Errorf("a reader through its group: %d, want 200", code)
	}
	var who struct {
		User    string          `json:"user"`
		Actions map[string]bool `json:"actions"`
	}
	_, text := call("GET", "/api/whoami", reader, "")
	if err := json.Unmarshal([]byte(text), &who); err != nil || who.User != "system:serviceaccount:team:reader" || who.Actions["pause"] || who.Actions["undo"] {
		t.Errorf("reader's whoami %s: %v", text, err)
	}
	code, text := call("POST", "/api/rollout/pause", reader, "")
	if code != http.StatusForbidden || !strings.Contains(text, `"system:serviceaccount:team:reader" cannot patch resource "hotplugs"`) {
		t.Errorf("a reader's forced pause: %d %q, want the API server's 403 for that person", code, text)
	}
	got := &hotplugv1.Hotplug{}
	if err := admin.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil || got.Annotations[hotplugv1.RolloutPausedAnnotation] != "" {
		t.Fatalf("the refused pause changed common: %v %v", got.Annotations, err)
	}
	code, text = call("POST", "/api/switch", reader, `{"cluster":"member-1","component":"audit","status":"disabled","dryRun":true}`)
	if code != http.StatusForbidden || !strings.Contains(text, `"system:serviceaccount:team:reader" cannot create resource "hotplugs"`) {
		t.Errorf("a reader's forced switch preview: %d %q, want the API server's 403", code, text)
	}
	_, text = call("GET", "/api/whoami", operator, "")
	if err := json.Unmarshal([]byte(text), &who); err != nil || !who.Actions["pause"] || who.Actions["undo"] || who.Actions["switch"] {
		t.Errorf("operator's whoami %s: %v (patch yes, update no)", text, err)
	}
	if code, text := call("POST", "/api/rollout/pause", operator, ""); code != http.StatusOK {
		t.Errorf("operator's pause: %d %q", code, text)
	}
	if err := admin.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil || got.Annotations[hotplugv1.RolloutPausedAnnotation] != "true" {
		t.Errorf("after the operator's pause common has %v (%v)", got.Annotations, err)
	}

	// Login: the pasted token becomes the cookie, which then authenticates.
	req, _ := http.NewRequest("POST", srv.URL+"/api/login", strings.NewReader(`{"token":"`+reader+`"}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	cookies := res.Cookies()
	if res.StatusCode != http.StatusOK || len(cookies) != 1 || !cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login: %d %+v", res.StatusCode, cookies)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/api/snapshot", nil)
	req.AddCookie(cookies[0])
	if code, _ := do(t, req); code != http.StatusOK {
		t.Errorf("with the login cookie: %d", code)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/api/login", strings.NewReader(`{"token":"forged"}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, _ := do(t, req); code != http.StatusUnauthorized {
		t.Errorf("login with a bad token: %d", code)
	}
}
