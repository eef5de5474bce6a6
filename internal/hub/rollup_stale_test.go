package hub

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// staleReader answers Gets of common with a copy frozen by freeze, the way
// an informer cache that has not yet delivered the last write does.
type staleReader struct {
	client.Client
	frozen *hotplugv1.Hotplug
}

func (s *staleReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if hp, ok := obj.(*hotplugv1.Hotplug); ok && s.frozen != nil && key.Name == hotplugv1.CommonName {
		s.frozen.DeepCopyInto(hp)
		return nil
	}
	return s.Client.Get(ctx, key, obj, opts...)
}

// TestRollupAfterStaleRead is the fault suite's flip, in one process: a
// cluster is marked abnormal, the roll-up writes that, the cluster is normal
// again before the cache has common's write, and the roll-up of that event
// reads the stale common, finds its status already right and writes
// nothing. The status event of common's own write must then wake the
// roll-up (commonChanged), which writes the cluster normal again.
func TestRollupAfterStaleRead(t *testing.T) {
	ctx := context.Background()
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Generation: 1,
		Annotations: map[string]string{hotplugv1.StatusByAnnotation: hotplugv1.StatusByHub}},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled}}}}
	c := fake.NewClientBuilder().WithScheme(kube.Scheme).WithStatusSubresource(&hotplugv1.Hotplug{}).WithObjects(common).Build()
	read := &staleReader{Client: c}
	feed := newRollupFeed()
	r := &rollup{c: read, feed: feed, revisions: &revisions{c: c, live: c, ns: "kubecube-system"}}
	member := func(state clusterv1.ClusterState, reason string) *clusterv1.Cluster {
		cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}}
		cl.Status.State, cl.Status.Reason = state, reason
		cl.Status.HotplugPhase = hotplugv1.PhaseRunning
		cl.Status.Components = []hotplugv1.ComponentStatus{{Name: "logagent", Message: hotplugv1.MessageRunning,
			Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDeployed}}}}
		return cl
	}
	get := func() *hotplugv1.Hotplug {
		t.Helper()
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, types.NamespacedName{Name: hotplugv1.CommonName}, hp); err != nil {
			t.Fatal(err)
		}
		return hp
	}
	reconcileOnce := func() {
		t.Helper()
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: hotplugv1.CommonName}}); err != nil {
			t.Fatal(err)
		}
	}

	feed.observe(member(clusterv1.ClusterNormal, ""), false)
	reconcileOnce()
	running := get()
	if running.Status.Phase != hotplugv1.PhaseRunning {
		t.Fatalf("before the flip common is %q: %s", running.Status.Phase, running.Status.Message)
	}

	feed.observe(member(clusterv1.ClusterAbnormal, staleReasonPrefix+"has not renewed its heartbeat Lease"), false)
	reconcileOnce()
	abnormal := get()
	if !strings.Contains(abnormal.Status.Message, "abnormal") {
		t.Fatalf("common does not say member-1 is abnormal: %s", abnormal.Status.Message)
	}

	// Normal again within the second; the cache still has common as it was
	// before the abnormal write.
	feed.observe(member(clusterv1.ClusterNormal, ""), false)
	read.frozen = running
	reconcileOnce()
	if got := get(); got.Status.Phase != hotplugv1.PhaseFail {
		t.Fatalf("the stale read is expected to write nothing (that is the hazard), got %q", got.Status.Phase)
	}

	// The cache now delivers common's abnormal status: that event must pass.
	upd := event.UpdateEvent{ObjectOld: running, ObjectNew: abnormal}
	if !commonChanged().Update(upd) {
		t.Fatal("common's status update does not wake the roll-up: common would keep saying member-1 is abnormal")
	}
	read.frozen = nil
	reconcileOnce()
	if got := get(); got.Status.Phase != hotplugv1.PhaseRunning || strings.Contains(got.Status.Message, "abnormal") {
		t.Fatalf("after the status event common is %q: %s", got.Status.Phase, got.Status.Message)
	}
	// And the roll-up's own write then settles: the next status event finds
	// nothing to write.
	settled := get()
	reconcileOnce()
	if got := get(); got.ResourceVersion != settled.ResourceVersion {
		t.Fatalf("a roll-up of an unchanged fleet wrote common again (resourceVersion %s → %s)", settled.ResourceVersion, got.ResourceVersion)
	}
}

// TestCommonChanged lists which events of Hotplugs wake the roll-up.
func TestCommonChanged(t *testing.T) {
	hp := func(name string, gen int64, msg string) *hotplugv1.Hotplug {
		return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: gen}, Status: hotplugv1.HotplugStatus{Message: msg}}
	}
	cases := []struct {
		name     string
		old, new *hotplugv1.Hotplug
		want     bool
	}{
		{"common's status changed", hp(hotplugv1.CommonName, 1, "a"), hp(hotplugv1.CommonName, 1, "b"), true},
		{"common's generation changed", hp(hotplugv1.CommonName, 1, "a"), hp(hotplugv1.CommonName, 2, "a"), true},
		{"common resynced unchanged", hp(hotplugv1.CommonName, 1, "a"), hp(hotplugv1.CommonName, 1, "a"), false},
		{"a cluster's Hotplug status changed", hp("member-1", 1, "a"), hp("member-1", 1, "b"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := commonChanged().Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Errorf("commonChanged passes %v, want %v", got, tc.want)
			}
		})
	}
}
