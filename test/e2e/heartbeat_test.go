package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/report"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// runningReport is the status an agent computes when one component runs.
func runningReport() hotplugv1.HotplugStatus {
	now := metav1.Now()
	ready := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDeployed,
		LastTransitionTime: now}
	return hotplugv1.HotplugStatus{Phase: hotplugv1.PhaseRunning, Message: `{"logagent":"release is running"}`,
		Components: []hotplugv1.ComponentStatus{{Name: "logagent", Message: hotplugv1.MessageRunning, Conditions: []metav1.Condition{ready}}},
		Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllComponentsReady", LastTransitionTime: now}}}
}

// TestHeartbeatLease runs a real pivot with the hub and a member's real
// reporter under its least-privilege identity: heartbeats renew the
// cluster's Lease (which the hub created) and write nothing into the
// Cluster over several intervals; a Lease that expires turns the Cluster
// abnormal with one write, a renewed one turns it normal again.
func TestHeartbeatLease(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	pivot := env.Clusters[0]
	pc := newClient(t, pivot.Config)
	ctx := context.Background()
	const name, ns, interval = "member-1", heartbeat.DefaultNamespace, time.Second
	if err := pc.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
		t.Fatal(err)
	}
	testenv.RunHub(t, pivot.Config, hub.Options{Namespace: ns, HeartbeatTimeout: 20 * time.Second, CheckPeriod: 500 * time.Millisecond})
	leaseKey := client.ObjectKey{Namespace: ns, Name: heartbeat.LeaseName(name)}
	testenv.Eventually(t, 30*time.Second, "the hub creates the member's Lease", func() (bool, string) {
		err := pc.Get(ctx, leaseKey, &coordinationv1.Lease{})
		return err == nil, fmt.Sprint(err)
	})

	user := "hotplug-agent:" + name
	role, binding := access.MemberOnPivot(name, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
	for _, o := range []client.Object{role, binding} {
		if err := pc.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := pivot.UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	mc := newClient(t, cfg)
	testenv.Eventually(t, 10*time.Second, "the member may read its Lease", func() (bool, string) {
		err := mc.Get(ctx, leaseKey, &coordinationv1.Lease{})
		return err == nil, fmt.Sprint(err)
	})
	// Least privilege: its own Lease only, and no create.
	other := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-2"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
	if err := pc.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherLease := &coordinationv1.Lease{}
	testenv.Eventually(t, 30*time.Second, "the hub creates member-2's Lease", func() (bool, string) {
		err := pc.Get(ctx, client.ObjectKey{Namespace: ns, Name: heartbeat.LeaseName("member-2")}, otherLease)
		return err == nil, fmt.Sprint(err)
	})
	otherLease.Spec.HolderIdentity = &user
	if err := mc.Update(ctx, otherLease); !apierrors.IsForbidden(err) {
		t.Errorf("member-1 renewed member-2's Lease: %v", err)
	}
	if err := mc.Create(ctx, heartbeat.New(ns, "member-9")); !apierrors.IsForbidden(err) {
		t.Errorf("member-1 created a Lease: %v", err)
	}
	// Gone before the hub would mark it abnormal (a status write the
	// counts below would see).
	if err := pc.Delete(ctx, other); err != nil {
		t.Fatal(err)
	}

	rctx, stopReporter := context.WithCancel(ctx)
	defer stopReporter()
	rep := report.New(report.Options{Cluster: name, Pivot: mc, Member: true, Interval: interval, Log: testenv.Logger(t)})
	report := runningReport()
	rep.Update(report, nil, nil)
	done := make(chan error, 1)
	go func() { done <- rep.Start(rctx) }()

	cl := &clusterv1.Cluster{}
	testenv.Eventually(t, 30*time.Second, "the report reaches the Cluster", func() (bool, string) {
		if err := pc.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err.Error()
		}
		return cl.Status.HotplugPhase == hotplugv1.PhaseRunning && cl.Status.LastHeartbeat != nil, fmt.Sprintf("%+v", cl.Status)
	})
	lease := &coordinationv1.Lease{}
	testenv.Eventually(t, 10*time.Second, "the member renews its Lease", func() (bool, string) {
		if err := pc.Get(ctx, leaseKey, lease); err != nil {
			return false, err.Error()
		}
		return lease.Spec.RenewTime != nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity == heartbeat.Holder(name),
			fmt.Sprintf("%+v", lease.Spec)
	})

	// Several intervals with an unchanged report: the Lease moves, the
	// Cluster does not (its resourceVersion, and the server's own count of
	// Cluster status writes).
	before, err := apimetrics.Scrape(ctx, pivot.Config)
	if err != nil {
		t.Fatal(err)
	}
	rv, renewed := cl.ResourceVersion, lease.Spec.RenewTime.Time
	rep.Update(*report.DeepCopy(), nil, nil) // recomputed, equal: no write either
	time.Sleep(6 * interval)
	after, err := apimetrics.Scrape(ctx, pivot.Config)
	if err != nil {
		t.Fatal(err)
	}
	d := after.Sub(before)
	if err := pc.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		t.Fatal(err)
	}
	if err := pc.Get(ctx, leaseKey, lease); err != nil {
		t.Fatal(err)
	}
	writes := d.Get("PUT", "clusters", "status") + d.Get("PATCH", "clusters", "status")
	t.Logf("over %s: %v Cluster status writes, %v Lease updates, Cluster resourceVersion %s -> %s", 6*interval, writes,
		d.Get("PUT", "leases", ""), rv, cl.ResourceVersion)
	if writes != 0 || cl.ResourceVersion != rv {
		t.Errorf("heartbeats wrote the Cluster: %v status writes, resourceVersion %s -> %s", writes, rv, cl.ResourceVersion)
	}
	if d.Get("PUT", "leases", "") < 4 || !lease.Spec.RenewTime.After(renewed) {
		t.Errorf("the Lease was not renewed every interval: %v updates, renewTime %s -> %s", d.Get("PUT", "leases", ""), renewed, lease.Spec.RenewTime)
	}

	// The member goes silent: its Lease (4 s) expires and the hub marks the
	// Cluster abnormal, once.
	stopReporter()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the hub marks the silent cluster abnormal", func() (bool, string) {
		if err := pc.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err.Error()
		}
		return cl.Status.State == clusterv1.ClusterAbnormal, fmt.Sprintf("%s %s", cl.Status.State, cl.Status.Reason)
	})
	if !strings.Contains(cl.Status.Reason, "heartbeat Lease "+ns+"/"+heartbeat.LeaseName(name)) {
		t.Errorf("reason %q does not name the Lease", cl.Status.Reason)
	}
	rv = cl.ResourceVersion
	time.Sleep(5 * 500 * time.Millisecond) // five health checks
	if err := pc.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		t.Fatal(err)
	}
	if cl.ResourceVersion != rv {
		t.Errorf("the hub wrote the abnormal cluster again: resourceVersion %s -> %s (%s)", rv, cl.ResourceVersion, cl.Status.Reason)
	}

	// A renewal alone (no report: it did not change) makes it normal again.
	if err := heartbeat.NewRenewer(mc, ns, name, interval).Renew(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the hub restores the renewed cluster", func() (bool, string) {
		if err := pc.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err.Error()
		}
		return cl.Status.State == clusterv1.ClusterNormal && cl.Status.Reason == "", fmt.Sprintf("%s %s", cl.Status.State, cl.Status.Reason)
	})
	if c := meta.FindStatusCondition(cl.Status.Conditions, hotplugv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("the report was lost: %+v", cl.Status.Conditions)
	}
}
