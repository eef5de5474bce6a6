package agent

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// pivotEvents records a member agent's component events on the pivot too,
// regarding the cluster's Hotplug there (cluster-scoped, so the events go
// to the pivot's default namespace): the fleet view reads only the pivot,
// and a member's own events stay in the member. The events API folds
// repeats into series, as it does in the member.
type pivotEvents struct {
	broadcaster events.EventBroadcaster
	recorder    events.EventRecorderLogger
	regarding   *hotplugv1.Hotplug
}

// newPivotEvents builds the recorder; start sends what it records.
func newPivotEvents(cfg *rest.Config, scheme *runtime.Scheme, cluster string) (*pivotEvents, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("agent: pivot events client: %w", err)
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	own := &hotplugv1.Hotplug{}
	own.Name = cluster
	own.SetGroupVersionKind(hotplugv1.GroupVersion.WithKind("Hotplug"))
	return &pivotEvents{broadcaster: b, recorder: b.NewRecorder(scheme, "hotplug-agent"), regarding: own}, nil
}

// start sends recorded events to the pivot until ctx ends (a manager
// runnable: the leader's, like the reconciles that record).
func (p *pivotEvents) start(ctx context.Context) error {
	if err := p.broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return fmt.Errorf("agent: pivot events: %w", err)
	}
	<-ctx.Done()
	p.broadcaster.Shutdown()
	return nil
}

// record records one event (already bounded and redacted by the caller).
func (p *pivotEvents) record(related *corev1.ObjectReference, kind, reason, action, note string) {
	p.recorder.Eventf(p.regarding, related, kind, reason, action, "%s", note)
}
