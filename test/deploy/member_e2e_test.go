package deploy

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestMemberAgentRunsWithChartRBAC runs a member agent with only the
// identities the chart makes: in the member, the member-role agent
// ServiceAccount; on the pivot, the memberAccess ServiceAccount for
// member-1. The agent mirrors `common` and `member-1`, installs the releases
// and reports back, with no request refused; the pivot identity cannot read
// another cluster's Hotplug, nor another cluster's assignment of a revision
// of common, nor its history; a Progressive common is mirrored from the
// member's assignment only.
func TestMemberAgentRunsWithChartRBAC(t *testing.T) {
	env := startClusters(t, "pivot-cluster", "member-1")
	ctx := context.Background()
	pivotAdmin, memberAdmin := env.Cluster("pivot-cluster").Config, env.Cluster("member-1").Config
	pc, mc := newClient(t, pivotAdmin), newClient(t, memberAdmin)
	for _, c := range []client.Client{pc, mc} {
		installChartCRDs(t, c)
		createNamespace(t, c, releaseNamespace)
	}

	pivotVals := pivotValues()
	pivotVals["memberAccess"] = map[string]any{"clusters": []any{"member-1"}}
	installForReal(t, pc, componentObjects(mustRender(t, pivotVals).Objects, "member-access"))
	installForReal(t, mc, componentObjects(mustRender(t, memberValues()).Objects, "agent"))

	// The pivot's configuration: the seed, plus member-1's own Hotplug and Cluster.
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, pc, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
		t.Fatal(err)
	}
	own := &hotplugv1.Hotplug{}
	if err := pc.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, own); err != nil {
		t.Fatal(err)
	}
	m1 := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-1", Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}}, Spec: own.Spec}
	if err := pc.Create(ctx, m1); err != nil {
		t.Fatal(err)
	}

	pivotCfg := tokenConfig(t, pivotAdmin, releaseNamespace, "hotplug-member-member-1")
	memberCfg := tokenConfig(t, memberAdmin, releaseNamespace, "hotplug-agent")
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	refused := testenv.RunAgent(t, memberCfg, agent.Options{
		ClusterName: "member-1", ChartDir: chartDir, Namespace: releaseNamespace, Resync: 2 * time.Second,
		PivotConfig: pivotCfg, HeartbeatInterval: time.Second,
	})

	waitConverged(t, mc, "common", "member-1")
	testenv.Eventually(t, 60*time.Second, "member-1 reports to the pivot", func() (bool, string) {
		hp := &hotplugv1.Hotplug{}
		cl := &clusterv1.Cluster{}
		if err := pc.Get(ctx, client.ObjectKey{Name: "member-1"}, hp); err != nil {
			return false, err.Error()
		}
		if err := pc.Get(ctx, client.ObjectKey{Name: "member-1"}, cl); err != nil {
			return false, err.Error()
		}
		return hp.Status.Phase == hotplugv1.PhaseRunning && cl.Status.LastHeartbeat != nil,
			"hotplug " + hp.Status.Phase + ", cluster " + cl.Status.HotplugPhase
	})
	if got := refused.Forbidden(); len(got) > 0 {
		t.Errorf("the member agent was refused %d request(s): %v", len(got), got)
	}

	// The pivot identity sees nothing of other clusters.
	pivotAsMember := newClient(t, pivotCfg)
	if err := pivotAsMember.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, &hotplugv1.Hotplug{}); !isForbidden(err) {
		t.Errorf("member-1 reading Hotplug pivot-cluster: %v, want Forbidden", err)
	}
	if err := pivotAsMember.List(ctx, &hotplugv1.HotplugList{}); !isForbidden(err) {
		t.Errorf("member-1 listing all Hotplugs: %v, want Forbidden", err)
	}
	other := &clusterv1.Cluster{}
	if err := pc.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, other); err != nil {
		t.Fatal(err)
	}
	other.Status.Reason = "written by member-1"
	if err := pivotAsMember.Status().Update(ctx, other); !isForbidden(err) {
		t.Errorf("member-1 writing pivot-cluster's status: %v, want Forbidden", err)
	}

	t.Run("the member reads only its own assignment", func(t *testing.T) {
		checkMemberReadsOnlyItsAssignment(t, pc, pivotCfg, "member-1")
	})
	t.Run("a Progressive common is mirrored from the assignment", func(t *testing.T) {
		mirrorOf := func() string {
			hp := &hotplugv1.Hotplug{}
			if err := mc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
				return err.Error()
			}
			return hp.Annotations[hotplugv1.SourceGenerationAnnotation]
		}
		checkProgressiveRuns(t, pc, mc, "member-1", mirrorOf)
		if got := refused.Forbidden(); len(got) > 0 {
			t.Errorf("the member agent was refused %d request(s) reading its assignment: %v", len(got), got)
		}
	})
}
