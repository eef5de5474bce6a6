package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// trustReleases returns "name=revision/status" of every release.
func trustReleases(t *testing.T, hc *helm.Client) []string {
	t.Helper()
	rels, err := hc.List(context.Background(), labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rels {
		out = append(out, fmt.Sprintf("%s/%s=%d/%s", r.Namespace, r.Name, r.Revision, r.Status))
	}
	sort.Strings(out)
	return out
}

// trustMirrors returns the UIDs of the member's mirrors by name.
func trustMirrors(t *testing.T, c client.Client) map[string]types.UID {
	t.Helper()
	list := &hotplugv1.HotplugList{}
	if err := c.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, hp := range list.Items {
		if hp.Labels[hotplugv1.MirrorLabel] == "true" {
			out[hp.Name] = hp.UID
		}
	}
	return out
}

// pivotCondition returns the member's PivotConnected condition on its
// mirror of common.
func pivotCondition(t *testing.T, c client.Client) *metav1.Condition {
	t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
		return nil
	}
	return meta.FindStatusCondition(hp.Status.Conditions, agent.ConditionPivotConnected)
}

// TestMirrorTrust runs a pivot and a member (two kube-apiservers) with the
// member's agent as its least-privilege identity on the pivot, and no hub
// (so no admission webhook). Revoking that identity's access keeps every
// mirror and release and says Forbidden, across an agent restart too;
// restoring it converges, including an edit made meanwhile; a real
// deletion of common on the pivot still removes the mirror.
func TestMirrorTrust(t *testing.T) {
	env := controlplane.StartForTest(t,
		controlplane.ClusterOptions{Name: "pivot-cluster"},
		controlplane.ClusterOptions{Name: "member-1"})
	ctx := context.Background()
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	pivot := newClient(t, env.Cluster("pivot-cluster").Config)
	memberCl := env.Cluster("member-1")
	member := newClient(t, memberCl.Config)
	hc, err := helm.New(memberCl.Config, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}

	if err := pivot.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, pivot, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	own := &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: "member-1", Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
		Spec:       hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logseer", Status: hotplugv1.StatusEnabled}}},
	}
	if err := pivot.Create(ctx, own); err != nil {
		t.Fatal(err)
	}
	user := "hotplug-agent:member-1"
	role, binding := access.MemberOnPivot("member-1", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
	if err := pivot.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	grant := func() {
		t.Helper()
		b := binding.DeepCopy()
		if err := pivot.Create(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	grant()
	cfg, err := env.Cluster("pivot-cluster").UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	uc := newClient(t, cfg)
	testenv.Eventually(t, 10*time.Second, "member-1 may read common", func() (bool, string) {
		err := uc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{})
		return err == nil, fmt.Sprint(err)
	})
	opts := agent.Options{ClusterName: "member-1", ChartDir: chartDir, PivotConfig: cfg, HeartbeatInterval: 2 * time.Second}
	a := testenv.RunAgent(t, memberCl.Config, opts)

	wantReleases := []string{"kubecube-monitoring/kubecube-monitoring", "logagent/logagent", "logseer/logseer"}
	testenv.Eventually(t, 120*time.Second, "the member mirrors both objects and installs their components", func() (bool, string) {
		rels := trustReleases(t, hc)
		if len(rels) != len(wantReleases) {
			return false, strings.Join(rels, " ")
		}
		for i, r := range rels {
			if !strings.HasPrefix(r, wantReleases[i]+"=") || !strings.HasSuffix(r, "/deployed") {
				return false, strings.Join(rels, " ")
			}
		}
		c := pivotCondition(t, member)
		return len(trustMirrors(t, member)) == 2 && c != nil && c.Status == metav1.ConditionTrue, fmt.Sprintf("%v %+v", trustMirrors(t, member), c)
	})
	releases, mirrors := trustReleases(t, hc), trustMirrors(t, member)
	t.Logf("before revocation: releases %v, mirrors %v", releases, mirrors)

	// unchanged fails the test if a mirror or a release changed.
	unchanged := func(when string) {
		t.Helper()
		if got := trustMirrors(t, member); fmt.Sprint(got) != fmt.Sprint(mirrors) {
			t.Fatalf("%s: mirrors %v, were %v", when, got, mirrors)
		}
		if got := trustReleases(t, hc); strings.Join(got, " ") != strings.Join(releases, " ") {
			t.Fatalf("%s: releases %v, were %v", when, got, releases)
		}
	}
	forbidden := func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		testenv.Eventually(t, 60*time.Second, what, func() (bool, string) {
			unchanged(what)
			c := pivotCondition(t, member)
			if c == nil || c.Status != metav1.ConditionFalse {
				return false, fmt.Sprintf("%+v", c)
			}
			text := c.Reason + " " + c.Message
			return strings.Contains(text, "Forbidden") && strings.Contains(c.Message, "mirrors kept"), text
		})
		return time.Since(start)
	}
	// hold polls for d that nothing changes and the condition stays False.
	hold := func(what string, d time.Duration) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
			unchanged(what)
			if c := pivotCondition(t, member); c == nil || c.Status != metav1.ConditionFalse {
				t.Fatalf("%s: PivotConnected %+v", what, c)
			}
		}
	}

	outer := t
	t.Run("revoked credentials keep mirrors and releases", func(t *testing.T) {
		if err := pivot.Delete(ctx, binding.DeepCopy()); err != nil {
			t.Fatal(err)
		}
		took := forbidden("PivotConnected=False, Forbidden, mirrors kept")
		c := pivotCondition(t, member)
		t.Logf("revocation noticed in %s: PivotConnected=%s reason=%s message=%q", took.Round(time.Millisecond), c.Status, c.Reason, c.Message)
		// The pivot's configuration changes while the member cannot read it.
		editHotplug(t, pivot, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "logagent")].Env += "whileRevoked: true\n"
		})
		hold("revoked, 4 probe intervals", 4*mirror.ProbeInterval)
		if n := len(a.Forbidden()); n == 0 {
			t.Error("the agent's reads of the pivot were not refused")
		}
		// A restarted agent that never gets an answer keeps everything too.
		a.Stop()
		a = testenv.RunAgent(outer, memberCl.Config, opts) // runs on after this subtest

		hold("revoked, agent restarted", 3*mirror.ProbeInterval)
		forbidden("after the restart: PivotConnected=False, Forbidden")
	})

	t.Run("restored credentials converge", func(t *testing.T) {
		start := time.Now()
		grant()
		testenv.Eventually(t, 120*time.Second, "PivotConnected=True and the edit made meanwhile installed", func() (bool, string) {
			c := pivotCondition(t, member)
			vals, _, _ := releaseValues(t, member, "logagent", "logagent")
			return c != nil && c.Status == metav1.ConditionTrue && vals["whileRevoked"] == true, fmt.Sprintf("%+v %v", c, vals)
		})
		t.Logf("restored access converged in %s", time.Since(start).Round(time.Millisecond))
		if got := trustMirrors(t, member); fmt.Sprint(got) != fmt.Sprint(mirrors) {
			t.Errorf("mirrors recreated instead of kept: %v, were %v", got, mirrors)
		}
	})

	t.Run("a real deletion of common removes its mirror", func(t *testing.T) {
		// A hub's webhook would refuse the deletion without this annotation;
		// none runs here, and setting it keeps the test valid with one.
		hp := getHotplug(t, pivot, hotplugv1.CommonName)
		hp.Annotations["hotplug.kubecube.io/confirm-uninstall"] = "true"
		if err := pivot.Update(ctx, hp); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := pivot.Delete(ctx, hp); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "common's mirror deleted", func() (bool, string) {
			err := member.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
		took := time.Since(start)
		if took < mirror.ConfirmDelay {
			t.Errorf("mirror deleted after %s, before the confirmation delay %s", took, mirror.ConfirmDelay)
		}
		t.Logf("deletion of common reached the member in %s", took.Round(time.Millisecond))
		if _, ok := trustMirrors(t, member)["member-1"]; !ok {
			t.Error("member-1's own mirror went with common")
		}
	})
}
