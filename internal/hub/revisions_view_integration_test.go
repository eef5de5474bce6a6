package hub_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// distinctive is a value in common's env that nothing but a revision's
// content holds.
const distinctive = "pa55-w0rd-7f3c9e1d-only-in-values"

// bigEnv is an env of about size bytes carrying distinctive.
func bigEnv(size int) string {
	return "password: " + distinctive + "\npadding: " + strings.Repeat("x", size) + "\n"
}

// progressiveCommon starts the hub, registers clusters and creates a
// Progressive common with env, then waits until every cluster is assigned
// revision 1.
func progressiveCommon(t *testing.T, env string, clusters ...string) (*rest.Config, client.Client, *rolloutEnv) {
	t.Helper()
	cfg, c, ctx := startPivot(t)
	e := &rolloutEnv{t: t, c: c, members: map[string]*member{}, ctx: ctx}
	testenv.StoppableHub(t, cfg, hubOptions(t))
	for _, name := range clusters {
		cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: name != "pivot-cluster"}}
		if err := c.Create(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: env}},
		Rollout:   &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive},
	}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "every cluster assigned revision 1", func() (bool, string) {
		for _, name := range clusters {
			if e.assigned(name) != 1 {
				return false, name + " not assigned"
			}
		}
		return true, ""
	})
	return cfg, c, e
}

// TestRevisionsHiddenFromViewers: a user bound to the built-in `view`
// ClusterRole in the hub's namespace reads every object it may there and
// finds common's values in none; an assignment's size does not grow with
// common's env.
func TestRevisionsHiddenFromViewers(t *testing.T) {
	const envSize = 100 << 10
	cfg, c, e := progressiveCommon(t, bigEnv(envSize), "pivot-cluster", "member-1")
	ctx := e.ctx

	// The assignment carries no content.
	cr := &appsv1.ControllerRevision{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: rollout.AssignmentName("member-1")}, cr); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(cr)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 4<<10 {
		t.Errorf("assignment %s is %d bytes with a %d-byte env; want under 4 KiB whatever the env", cr.Name, len(raw), envSize)
	}

	// `view` is aggregated by the controller-manager, which this pivot does
	// not run: bind the roles it aggregates too (exactly what it grants).
	roles := &rbacv1.ClusterRoleList{}
	if err := c.List(ctx, roles, client.MatchingLabels{"rbac.authorization.k8s.io/aggregate-to-view": "true"}); err != nil {
		t.Fatal(err)
	}
	names := []string{"view"}
	for _, r := range roles.Items {
		names = append(names, r.Name)
	}
	const viewer = "namespace-viewer"
	for _, name := range names {
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer-" + name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: viewer}}}
		if err := c.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
	}
	asViewer := rest.CopyConfig(cfg)
	asViewer.Impersonate = rest.ImpersonationConfig{UserName: viewer}
	dyn, err := dynamic.NewForConfig(asViewer)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := disc.ServerPreferredNamespacedResources()
	if err != nil {
		t.Fatal(err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(distinctive))
	var readable []string
	revisionsRead := 0
	testenv.Eventually(t, 30*time.Second, "the viewer's bindings in effect", func() (bool, string) {
		_, err := dyn.Resource(appsv1.SchemeGroupVersion.WithResource("controllerrevisions")).Namespace(ns).List(ctx, metav1.ListOptions{})
		return err == nil, errString(err)
	})
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !hasVerb(r.Verbs, "list") || strings.Contains(r.Name, "/") {
				continue
			}
			got, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			if apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				t.Fatalf("listing %s as the viewer: %v", r.Name, err)
			}
			readable = append(readable, r.Name)
			for _, item := range got.Items {
				if r.Name == "controllerrevisions" {
					revisionsRead++
				}
				raw, err := json.Marshal(item.Object)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(raw), distinctive) || strings.Contains(string(raw), encoded) {
					t.Errorf("the viewer reads common's values in %s %s/%s", r.Name, item.GetNamespace(), item.GetName())
				}
			}
		}
	}
	t.Logf("the viewer lists %v in %s", readable, ns)
	if revisionsRead == 0 {
		t.Errorf("the viewer read no ControllerRevision in %s (readable: %v): the check proves nothing", ns, readable)
	}
	for _, r := range readable {
		if r == "secrets" {
			t.Errorf("the viewer lists Secrets: `view` is not what this test means to bind")
		}
	}
}

func hasVerb(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == verb {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
