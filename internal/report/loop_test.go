package report

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// TestReporterHeartbeat runs the reporter against an in-memory pivot for
// several intervals: with its Lease it renews the Lease and writes the
// Cluster once (the first report); without the right to its Lease it
// falls back to bumping lastHeartbeat every interval, as agents did before
// Leases, so that a hub keeps seeing it alive.
func TestReporterHeartbeat(t *testing.T) {
	const interval = 40 * time.Millisecond
	for _, tc := range []struct {
		name         string
		leaseAllowed bool
	}{{"lease", true}, {"no lease right", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var statusWrites, leaseUpdates atomic.Int32
			ns := heartbeat.DefaultNamespace
			objs := []client.Object{&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "m1"}}, heartbeat.New(ns, "m1")}
			forbidden := func(o client.Object) error {
				if _, ok := o.(*coordinationv1.Lease); ok && !tc.leaseAllowed {
					return apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, o.GetName(), nil)
				}
				return nil
			}
			c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithObjects(objs...).WithStatusSubresource(&clusterv1.Cluster{}).
				WithInterceptorFuncs(interceptor.Funcs{
					Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, o client.Object, opts ...client.GetOption) error {
						if err := forbidden(o); err != nil {
							return err
						}
						return c.Get(ctx, key, o, opts...)
					},
					Create: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.CreateOption) error {
						if err := forbidden(o); err != nil {
							return err
						}
						return c.Create(ctx, o, opts...)
					},
					Update: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.UpdateOption) error {
						if err := forbidden(o); err != nil {
							return err
						}
						leaseUpdates.Add(1)
						return c.Update(ctx, o, opts...)
					},
					SubResourcePatch: func(ctx context.Context, c client.Client, sub string, o client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
						statusWrites.Add(1)
						return c.SubResource(sub).Patch(ctx, o, p, opts...)
					},
				}).Build()
			r := New(Options{Cluster: "m1", Pivot: c, Interval: interval, Log: logr.Discard()})
			now := metav1.Now()
			r.Update(hotplugv1.HotplugStatus{Phase: hotplugv1.PhaseRunning, Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady,
				Status: metav1.ConditionTrue, Reason: "AllComponentsReady", LastTransitionTime: now}}}, nil, nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = r.Start(ctx); close(done) }()
			time.Sleep(8 * interval) // under resyncEvery intervals
			cancel()
			<-done
			lease := &coordinationv1.Lease{}
			_ = c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: heartbeat.LeaseName("m1")}, lease)
			t.Logf("%d status writes, %d lease updates", statusWrites.Load(), leaseUpdates.Load())
			if tc.leaseAllowed {
				if statusWrites.Load() != 1 || leaseUpdates.Load() < 5 || lease.Spec.RenewTime == nil {
					t.Errorf("with a Lease: %d status writes (want 1), %d lease renewals (want ≥5)", statusWrites.Load(), leaseUpdates.Load())
				}
				return
			}
			if statusWrites.Load() < 5 {
				t.Errorf("without a Lease: %d status writes, want one per interval (≥5)", statusWrites.Load())
			}
		})
	}
}

// TestSameReport: the comparison sees what the API server stores, so a
// report whose times differ only below a second is the same report, and a
// different lastHeartbeat alone is no change.
func TestSameReport(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := func(tt time.Time, phase string) clusterv1.ClusterStatus {
		return clusterv1.ClusterStatus{State: clusterv1.ClusterNormal, HotplugPhase: phase, LastHeartbeat: &metav1.Time{Time: tt},
			Components: []hotplugv1.ComponentStatus{{Name: "a", Conditions: []metav1.Condition{{Type: "Ready", Status: "True", LastTransitionTime: metav1.NewTime(tt)}}}}}
	}
	if !sameReport(st(at, "running"), st(at.Add(300*time.Millisecond), "running")) {
		t.Error("sub-second difference counted as a change")
	}
	b := st(at, "running")
	b.LastHeartbeat = &metav1.Time{Time: at.Add(time.Hour)}
	if !sameReport(st(at, "running"), b) {
		t.Error("lastHeartbeat alone counted as a change")
	}
	if sameReport(st(at, "running"), st(at, "progressing")) || sameReport(st(at, "running"), st(at.Add(2*time.Second), "running")) {
		t.Error("a real change was not seen")
	}
}
