package dashboard

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func fleet(n int, phase metav1.ConditionStatus) Snapshot {
	var cls []clusterv1.Cluster
	for i := range n {
		cls = append(cls, cluster(string(rune('a'+i)), clusterv1.ClusterNormal,
			comp("audit", true, metav1.ConditionTrue, hotplugv1.ReasonDeployed), comp("logagent", true, phase, hotplugv1.ReasonDeployed)))
	}
	return Build(cls, nil, time.Now())
}

// TestDiff: one changed cell is one small cell event (and its cluster's
// count), not the matrix; a new cluster is a snapshot; no change, nothing.
func TestDiff(t *testing.T) {
	a := fleet(3, metav1.ConditionTrue)
	if ev, err := Diff(a, a); err != nil || len(ev) != 0 {
		t.Errorf("no change: %v %v", ev, err)
	}
	b := fleet(3, metav1.ConditionTrue)
	b.Cells[3].Phase, b.Clusters[1].Failing = PhaseFailing, 1
	ev, err := Diff(a, b)
	if err != nil || len(ev) != 2 || ev[0].Type != EventCluster || ev[1].Type != EventCell {
		t.Fatalf("one cell: %+v %v", ev, err)
	}
	var c Cell
	if err := json.Unmarshal(ev[1].Data, &c); err != nil || c.Cluster != "b" || c.Component != "logagent" || c.Phase != PhaseFailing {
		t.Errorf("cell event %s: %v", ev[1].Data, err)
	}
	ev, err = Diff(a, fleet(4, metav1.ConditionTrue))
	if err != nil || len(ev) != 1 || ev[0].Type != EventSnapshot {
		t.Errorf("new cluster: %+v %v", ev, err)
	}
	withRollout := fleet(3, metav1.ConditionTrue)
	withRollout.Rollout = &RolloutView{Phase: "Paused"}
	if ev, _ := Diff(a, withRollout); len(ev) != 1 || ev[0].Type != EventRollout {
		t.Errorf("rollout: %+v", ev)
	}
}

// TestBrokerResume: a browser resuming from an event it saw gets exactly
// the later ones; from one no longer kept (or none), a snapshot; a browser
// too far behind is dropped, not waited for.
func TestBrokerResume(t *testing.T) {
	b := NewBroker()
	if err := b.Publish(fleet(3, metav1.ConditionTrue)); err != nil {
		t.Fatal(err)
	}
	_, seen := b.Snapshot()
	next := fleet(3, metav1.ConditionTrue)
	next.Cells[1].Phase = PhaseFailing
	if err := b.Publish(next); err != nil {
		t.Fatal(err)
	}
	first, _, cancel, err := b.Subscribe(seen, true)
	if err != nil || len(first) != 1 || first[0].Type != EventCell || first[0].ID != seen+1 {
		t.Errorf("resume from %d: %+v %v", seen, first, err)
	}
	cancel()
	first, _, cancel, _ = b.Subscribe(0, false)
	if len(first) != 1 || first[0].Type != EventSnapshot {
		t.Errorf("fresh: %+v", first)
	}
	cancel()
	first, _, cancel, _ = b.Subscribe(999, true)
	if len(first) != 1 || first[0].Type != EventSnapshot {
		t.Errorf("from the future: %+v", first)
	}
	cancel()
	// A subscriber that never reads is dropped once its buffer is full.
	_, ch, cancel, _ := b.Subscribe(0, false)
	defer cancel()
	for i := range subscriberBuffer + 1 {
		s := fleet(3, metav1.ConditionTrue)
		s.Cells[0].Message = string(rune('a' + i%2))
		if err := b.Publish(s); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range ch {
		n++
	}
	if n != subscriberBuffer || b.Subscribers() != 0 {
		t.Errorf("slow subscriber: read %d then closed, %d subscribers", n, b.Subscribers())
	}
}
