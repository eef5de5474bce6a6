package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/cli"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	fleetpkg "github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// fleetCluster is one cluster of the fleet test with its clients.
type fleetCluster struct {
	name string
	cl   *controlplane.Cluster
	c    client.Client
	helm *helm.Client
}

func (f *fleetCluster) release(t *testing.T, ns, name string) *helm.Release {
	t.Helper()
	r, err := f.helm.Get(context.Background(), ns, name)
	if errors.Is(err, helm.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("%s: release %s/%s: %v", f.name, ns, name, err)
	}
	return r
}

// TestFleet runs a pivot and two members (three kube-apiservers), the hub
// and three agents, the members with their least-privilege identity on the
// pivot, through the multi-cluster scenarios of the issue.
func TestFleet(t *testing.T) {
	env := controlplane.StartForTest(t,
		controlplane.ClusterOptions{Name: "pivot-cluster"},
		controlplane.ClusterOptions{Name: "member-1"},
		controlplane.ClusterOptions{Name: "member-2"})
	ctx := context.Background()
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	fleet := map[string]*fleetCluster{}
	for _, cl := range env.Clusters {
		h, err := helm.New(cl.Config, helm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fleet[cl.Name] = &fleetCluster{name: cl.Name, cl: cl, c: newClient(t, cl.Config), helm: h}
	}
	pivot := fleet["pivot-cluster"]

	// Register the clusters and start the hub before any Hotplug exists.
	for _, name := range []string{"member-1", "member-2"} {
		c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
		if err := pivot.c.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	testenv.RunHub(t, pivot.cl.Config, hub.Options{HeartbeatTimeout: 20 * time.Second, CheckPeriod: time.Second})
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, pivot.c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}

	// Agents: the pivot's like any cluster's; members as least-privilege users.
	testenv.RunAgent(t, pivot.cl.Config, agent.Options{ClusterName: "pivot-cluster", ChartDir: chartDir, HeartbeatInterval: 2 * time.Second})
	memberCfg := map[string]*rest.Config{}
	for _, name := range []string{"member-1", "member-2"} {
		user := "hotplug-agent:" + name
		role, binding := access.MemberOnPivot(name, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
		if err := pivot.c.Create(ctx, role); err != nil {
			t.Fatal(err)
		}
		if err := pivot.c.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		cfg, err := pivot.cl.UserConfig(user)
		if err != nil {
			t.Fatal(err)
		}
		memberCfg[name] = cfg
		// RBAC takes a moment to reach the authorizer's cache.
		uc := newClient(t, cfg)
		testenv.Eventually(t, 10*time.Second, name+" may read common", func() (bool, string) {
			err := uc.Get(ctx, client.ObjectKey{Name: "common"}, &hotplugv1.Hotplug{})
			return err == nil, fmt.Sprint(err)
		})
		testenv.RunAgent(t, fleet[name].cl.Config, agent.Options{ClusterName: name, ChartDir: chartDir, PivotConfig: cfg,
			HeartbeatInterval: 2 * time.Second})
	}

	allRunning := func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		testenv.Eventually(t, 120*time.Second, what, func() (bool, string) {
			for _, n := range []string{"common", "pivot-cluster"} {
				hp := getHotplug(t, pivot.c, n)
				if hp.Status.Phase != hotplugv1.PhaseRunning || hp.Status.ObservedGeneration != hp.Generation {
					return false, "pivot " + n + ": " + hp.Status.Phase + " " + hp.Status.Message
				}
			}
			list := &clusterv1.ClusterList{}
			if err := pivot.c.List(ctx, list); err != nil {
				return false, err.Error()
			}
			for _, c := range list.Items {
				if c.Status.State != clusterv1.ClusterNormal || c.Status.HotplugPhase != hotplugv1.PhaseRunning || len(c.Status.Components) == 0 {
					return false, "cluster " + c.Name + ": " + string(c.Status.State) + " " + c.Status.HotplugPhase
				}
			}
			return true, ""
		})
		return time.Since(start)
	}

	allRunning("the seed configuration converges across the fleet")
	t.Run("seed placement", func(t *testing.T) {
		for name, f := range fleet {
			onPivot := name == "pivot-cluster"
			if (f.release(t, "logseer", "logseer") != nil) != onPivot {
				t.Errorf("%s: logseer installed=%v, want %v", name, !onPivot, onPivot)
			}
			if (f.release(t, "kubecube-monitoring", "kubecube-thanos") != nil) != onPivot {
				t.Errorf("%s: thanos installed=%v, want %v", name, !onPivot, onPivot)
			}
			if f.release(t, "kubecube-monitoring", "kubecube-monitoring") == nil || f.release(t, "logagent", "logagent") == nil {
				t.Errorf("%s: monitoring or logagent missing", name)
			}
			la, _, _ := releaseValues(t, f.c, "logagent", "logagent")
			mon, _, _ := releaseValues(t, f.c, "kubecube-monitoring", "kubecube-monitoring")
			if la["clustername"] != name || dig(mon, "prometheus", "prometheusSpec", "externalLabels", "cluster") != name {
				t.Errorf("%s: cluster name not injected: %v / %v", name, la["clustername"], dig(mon, "prometheus", "prometheusSpec", "externalLabels"))
			}
		}
		// Members mirror only common (no member config exists yet): never another cluster's.
		for _, name := range []string{"member-1", "member-2"} {
			list := &hotplugv1.HotplugList{}
			if err := fleet[name].c.List(ctx, list); err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != 1 || list.Items[0].Name != "common" {
				t.Errorf("%s mirrors %d objects: %v", name, len(list.Items), list.Items)
			}
		}
	})

	t.Run("least privilege on the pivot", func(t *testing.T) {
		c := newClient(t, memberCfg["member-1"])
		if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, &hotplugv1.Hotplug{}); !apierrors.IsForbidden(err) {
			t.Errorf("member-1 read pivot-cluster's config: %v", err)
		}
		other := &clusterv1.Cluster{}
		if err := pivot.c.Get(ctx, client.ObjectKey{Name: "member-2"}, other); err != nil {
			t.Fatal(err)
		}
		other.Status.State = clusterv1.ClusterAbnormal
		if err := c.Status().Update(ctx, other); !apierrors.IsForbidden(err) {
			t.Errorf("member-1 wrote member-2's status: %v", err)
		}
		if err := c.List(ctx, &hotplugv1.HotplugList{}); !apierrors.IsForbidden(err) {
			t.Errorf("member-1 listed every Hotplug: %v", err)
		}
	})

	revs := func(ns, name string) map[string]int {
		out := map[string]int{}
		for n, f := range fleet {
			if r := f.release(t, ns, name); r != nil {
				out[n] = r.Revision
			}
		}
		return out
	}

	t.Run("change common: every cluster converges", func(t *testing.T) {
		before := revs("logagent", "logagent")
		start := time.Now()
		editHotplug(t, pivot.c, "common", func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "logagent")].Env += "level: debug\n"
		})
		testenv.Eventually(t, 120*time.Second, "logagent upgraded everywhere", func() (bool, string) {
			for n, f := range fleet {
				vals, _, _ := releaseValues(t, f.c, "logagent", "logagent")
				if vals["level"] != "debug" {
					return false, n
				}
			}
			return true, ""
		})
		t.Logf("edit of common to the last of 3 clusters converged: %s", time.Since(start).Round(time.Millisecond))
		allRunning("after the edit of common")
		after := revs("logagent", "logagent")
		for n := range fleet {
			if after[n] != before[n]+1 {
				t.Errorf("%s: logagent revision %d -> %d", n, before[n], after[n])
			}
		}
	})

	t.Run("member config changes only that member", func(t *testing.T) {
		before := revs("kubecube-monitoring", "kubecube-monitoring")
		for _, name := range []string{"member-1", "member-2"} {
			hp := &hotplugv1.Hotplug{
				ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
				Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
					{Name: "logseer", Status: hotplugv1.StatusEnabled},
				}},
			}
			if name == "member-1" {
				hp.Spec.Component = append(hp.Spec.Component, hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: "grafana:\n  enabled: true\n"})
			}
			if err := pivot.c.Create(ctx, hp); err != nil {
				t.Fatal(err)
			}
		}
		testenv.Eventually(t, 120*time.Second, "member configs applied", func() (bool, string) {
			m1, m2 := fleet["member-1"].release(t, "logseer", "logseer"), fleet["member-2"].release(t, "logseer", "logseer")
			mon, _, _ := releaseValues(t, fleet["member-1"].c, "kubecube-monitoring", "kubecube-monitoring")
			return m1 != nil && m2 != nil && dig(mon, "grafana", "enabled") == true, "waiting"
		})
		allRunning("after the member configs")
		after := revs("kubecube-monitoring", "kubecube-monitoring")
		if after["member-1"] != before["member-1"]+1 || after["member-2"] != before["member-2"] || after["pivot-cluster"] != before["pivot-cluster"] {
			t.Errorf("monitoring revisions %v -> %v: only member-1 should move", before, after)
		}
		// The pivot shows each member's own config with that member's phase.
		if hp := getHotplug(t, pivot.c, "member-1"); hp.Status.Phase != hotplugv1.PhaseRunning || !strings.Contains(hp.Status.Message, "release is running") {
			t.Errorf("member-1's config on the pivot: %s %s", hp.Status.Phase, hp.Status.Message)
		}
	})

	t.Run("webhook refuses bad configs", func(t *testing.T) {
		ghost := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "ghost"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent"}}}}
		err := pivot.c.Create(ctx, ghost)
		if err == nil || !strings.Contains(err.Error(), "metadata.name") || !strings.Contains(err.Error(), `"ghost"`) {
			t.Errorf("config for a missing cluster: %v", err)
		}
		bad := getHotplug(t, pivot.c, "common")
		bad.Spec.Component[componentIndex(t, &bad.Spec, "logagent")].Env = "clustername: {{ .nope }}\n"
		err = pivot.c.Update(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), `component "logagent"`) || !strings.Contains(err.Error(), "env") {
			t.Errorf("bad template in common: %v", err)
		}
	})

	t.Run("member edits of mirrors are refused", func(t *testing.T) {
		m1 := fleet["member-1"]
		aliceCfg, err := m1.cl.UserConfig("alice", "system:masters")
		if err != nil {
			t.Fatal(err)
		}
		alice := newClient(t, aliceCfg)
		hp := &hotplugv1.Hotplug{}
		if err := alice.Get(ctx, client.ObjectKey{Name: "common"}, hp); err != nil {
			t.Fatal(err)
		}
		hp.Spec.Component[0].Status = hotplugv1.StatusEnabled
		err = alice.Update(ctx, hp)
		if err == nil || !strings.Contains(err.Error(), "pivot") {
			t.Errorf("edit of a mirror: %v", err)
		}
		hp.Annotations[hotplugv1.SyncAnnotation] = "true"
		hp.Annotations["extra"] = "x"
		if err := alice.Update(ctx, hp); err == nil {
			t.Error("edit with the sync annotation was accepted")
		}
		if err := alice.Delete(ctx, hp); err == nil {
			t.Error("delete of a mirror was accepted")
		}
		local := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-1-local", Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}}}
		if err := alice.Create(ctx, local); err == nil {
			t.Error("a new Hotplug with the sync annotation was accepted in a member")
		}
	})

	t.Run("pivot away: members keep working, then catch up", func(t *testing.T) {
		before := map[string]map[string]int{}
		for _, n := range []string{"member-1", "member-2"} {
			before[n] = map[string]int{}
			for _, rel := range mustList(t, fleet[n].helm) {
				before[n][rel.Name] = rel.Revision
			}
		}
		if err := pivot.cl.StopAPIServer(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "members notice the pivot is away", func() (bool, string) {
			for _, n := range []string{"member-1", "member-2"} {
				hp := getHotplug(t, fleet[n].c, "common")
				c := meta.FindStatusCondition(hp.Status.Conditions, agent.ConditionPivotConnected)
				if c == nil || c.Status != metav1.ConditionFalse {
					return false, n
				}
			}
			return true, ""
		})
		for _, n := range []string{"member-1", "member-2"} {
			for _, rel := range mustList(t, fleet[n].helm) {
				if before[n][rel.Name] != rel.Revision || rel.Status != "deployed" {
					t.Errorf("%s: %s changed while the pivot was away: %d -> %d %s", n, rel.Name, before[n][rel.Name], rel.Revision, rel.Status)
				}
			}
			if hp := getHotplug(t, fleet[n].c, "common"); hp.Status.Phase != hotplugv1.PhaseRunning {
				t.Errorf("%s: phase %s while the pivot is away", n, hp.Status.Phase)
			}
		}
		if err := pivot.cl.StartAPIServer(context.Background()); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "webhook answers again", func() (bool, string) {
			err := pivot.c.Get(ctx, client.ObjectKey{Name: "common"}, &hotplugv1.Hotplug{})
			return err == nil, ""
		})
		editHotplug(t, pivot.c, "common", func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "logagent")].Env += "afterOutage: true\n"
		})
		testenv.Eventually(t, 120*time.Second, "members converge after the outage", func() (bool, string) {
			for n, f := range fleet {
				vals, _, _ := releaseValues(t, f.c, "logagent", "logagent")
				if vals["afterOutage"] != true {
					return false, n
				}
			}
			return true, ""
		})
		allRunning("after the outage")
	})

	t.Run("delete a member's config: back to common alone", func(t *testing.T) {
		// The webhook refuses deleting a config that enables components,
		// which would uninstall them, until the operator confirms.
		err := pivot.c.Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-2"}})
		if err == nil || !strings.Contains(err.Error(), hotplugv1.ConfirmUninstallAnnotation) {
			t.Fatalf("deleting member-2's config with logseer enabled: %v, want a refusal naming %s", err, hotplugv1.ConfirmUninstallAnnotation)
		}
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			hp := getHotplug(t, pivot.c, "member-2")
			metav1.SetMetaDataAnnotation(&hp.ObjectMeta, hotplugv1.ConfirmUninstallAnnotation, "true")
			return pivot.c.Update(ctx, hp)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pivot.c.Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-2"}}); err != nil {
			t.Fatal(err)
		}
		m2 := fleet["member-2"]
		testenv.Eventually(t, 60*time.Second, "member-2's mirror deleted and logseer uninstalled", func() (bool, string) {
			err := m2.c.Get(ctx, client.ObjectKey{Name: "member-2"}, &hotplugv1.Hotplug{})
			return apierrors.IsNotFound(err) && m2.release(t, "logseer", "logseer") == nil, "waiting"
		})
		if fleet["member-1"].release(t, "logseer", "logseer") == nil {
			t.Error("member-1 lost logseer")
		}
		allRunning("after deleting member-2's config")
	})

	t.Run("hotplug status shows the fleet", func(t *testing.T) {
		var out bytes.Buffer
		root := cli.NewRoot()
		root.SetArgs([]string{"status", "--kubeconfig", pivot.cl.Kubeconfig, "-o", "json"})
		root.SetOut(&out)
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []fleetpkg.Row
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("status -o json: %v\n%s", err, out.String())
		}
		got := map[string]fleetpkg.Row{}
		for _, r := range rows {
			got[r.Cluster+"/"+r.Component] = r
		}
		for _, name := range []string{"pivot-cluster", "member-1", "member-2"} {
			for _, comp := range []string{"logagent", "kubecube-monitoring"} {
				r, ok := got[name+"/"+comp]
				if !ok || !r.Ready || r.State != "normal" || !r.Enabled || r.Revision == 0 {
					t.Errorf("%s/%s row: %+v", name, comp, r)
				}
			}
		}
		if r := got["member-2/logseer"]; r.Enabled || !r.Ready {
			t.Errorf("member-2 logseer should be disabled and as configured: %+v", r)
		}
		if r := got["pivot-cluster/kubecube-thanos"]; !r.Enabled || !r.Ready || r.ChartVersion != "3.18.0" {
			t.Errorf("pivot thanos row: %+v", r)
		}
	})

	t.Run("rollup and health on the pivot", func(t *testing.T) {
		common := getHotplug(t, pivot.c, "common")
		if !strings.Contains(common.Status.Message, `"logagent":"release is running"`) {
			t.Errorf("common's roll-up message: %s", common.Status.Message)
		}
		// A cluster whose agent never reports becomes abnormal and common says so.
		ghost := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-3"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
		if err := pivot.c.Create(ctx, ghost); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "member-3 abnormal and common not running", func() (bool, string) {
			c := &clusterv1.Cluster{}
			if err := pivot.c.Get(ctx, client.ObjectKey{Name: "member-3"}, c); err != nil {
				return false, err.Error()
			}
			hp := getHotplug(t, pivot.c, "common")
			return c.Status.State == clusterv1.ClusterAbnormal && strings.Contains(c.Status.Reason, "never reported") &&
				hp.Status.Phase != hotplugv1.PhaseRunning && strings.Contains(hp.Status.Message, "member-3"), hp.Status.Message
		})
	})
}
