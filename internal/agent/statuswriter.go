package agent

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/report"
	"github.com/kubecube-io/hotplug/internal/statuspatch"
)

// statusWriter publishes what ComputeStatus decides: the status of the
// cluster's own Hotplug and of `common`, the feature ConfigMap and the ready
// gauge. It writes only what changed, so a converged resync writes nothing.
type statusWriter struct {
	mu       sync.Mutex // one writer at a time keeps conflicts rare
	c        client.Client
	outs     *outcomes
	opts     Options
	reporter *report.Reporter
	reported hotplugv1.HotplugStatus
	// secrets redacts the outcomes' texts before any status is computed.
	secrets *secrets
	// connected, in a member, tells whether the pivot is reachable.
	connected func() mirror.Connection
}

func (w *statusWriter) write(ctx context.Context, common, own *hotplugv1.Hotplug, eff merge.Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	outs := w.secrets.redactOutcomes(w.outs.snapshot())
	eff = w.secrets.redactConfig(eff)
	now := metav1.Now()
	for _, obj := range []*hotplugv1.Hotplug{own, common} {
		// On the pivot the hub rolls every cluster up into common's status.
		if obj == nil || obj.Annotations[hotplugv1.StatusByAnnotation] == hotplugv1.StatusByHub {
			continue
		}
		if err := w.writeOne(ctx, obj.Name, obj.Generation, eff, outs, now); err != nil {
			return err
		}
	}
	if w.reporter != nil {
		// The previous report keeps transition times still when nothing changed.
		w.reported = w.compute(eff, outs, w.reported, 0, now)
		if common == nil && own == nil {
			// Nothing to apply is not the same as all applied.
			w.reported.Phase = hotplugv1.PhaseProgressing
			w.reported.Message = "{}"
		}
		w.reporter.Update(w.reported, common, own)
	}
	for _, c := range eff.Components {
		v := 0.0
		if _, h, _ := componentStatus(&c, outs[c.Name]); h == healthReady {
			v = 1
		}
		componentReady.WithLabelValues(c.Name).Set(v)
	}
	return w.publishFeatures(ctx, eff)
}

// writeOne recomputes the status of one Hotplug and updates it when it
// differs. observed is the generation that eff was computed from, which may
// be older than the object read here: stamping the newer one would claim a
// configuration that no reconcile has looked at yet.
func (w *statusWriter) writeOne(ctx context.Context, name string, observed int64, eff merge.Result, outs map[string]Outcome, now metav1.Time) error {
	_, err := statuspatch.Patch(ctx, w.c, w.c, types.NamespacedName{Name: name}, newHotplug, func(hp *hotplugv1.Hotplug) (bool, error) {
		st := w.compute(eff, outs, hp.Status, min(observed, hp.Generation), now)
		if equality.Semantic.DeepEqual(st, hp.Status) {
			return false, nil
		}
		hp.Status = st
		return true, nil
	})
	if err = client.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("writing status of Hotplug %s: %w", name, err)
	}
	return nil
}

// newHotplug is the empty Hotplug that statuspatch reads into.
func newHotplug() *hotplugv1.Hotplug { return &hotplugv1.Hotplug{} }

// compute is ComputeStatus plus, in a member, the PivotConnected condition.
func (w *statusWriter) compute(eff merge.Result, outs map[string]Outcome, prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	st := ComputeStatus(eff, outs, prev, generation, now)
	if w.connected != nil {
		conn := w.connected()
		c := metav1.Condition{Type: ConditionPivotConnected, Status: metav1.ConditionTrue, Reason: mirror.ReasonReachable, Message: "the pivot cluster answers"}
		if !conn.Connected {
			reason := conn.Reason
			if reason == "" {
				reason = mirror.ReasonUnreachable
			}
			c = metav1.Condition{Type: ConditionPivotConnected, Status: metav1.ConditionFalse, Reason: reason,
				Message: message("working from the last mirrored configuration: " + conn.Message)}
		}
		setCondition(&st.Conditions, c, generation, now)
	}
	return st
}

// refresh recomputes and writes the status outside a reconcile, e.g. when
// the pivot connection changes.
func (w *statusWriter) refresh(ctx context.Context, read func(context.Context) (*hotplugv1.Hotplug, *hotplugv1.Hotplug, error)) error {
	common, own, err := read(ctx)
	if err != nil {
		return err
	}
	return w.write(ctx, common, own, merge.EffectiveWithin(ctx, w.opts.Limits, w.opts.ClusterName, common, own))
}

// publishFeatures writes `<component>: enabled|disabled` for every
// configured component into the feature ConfigMap that KubeCube's front end
// reads, keeping keys that others wrote.
func (w *statusWriter) publishFeatures(ctx context.Context, eff merge.Result) error {
	want := map[string]string{}
	for _, c := range eff.Components {
		want[c.Name] = hotplugv1.StatusDisabled
		if c.Enabled {
			want[c.Name] = hotplugv1.StatusEnabled
		}
	}
	cm := &corev1.ConfigMap{}
	cm.Name, cm.Namespace = FeatureConfigMap, w.opts.Namespace
	err := createOrUpdate(ctx, w.c, cm, func() {
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		for k, v := range want {
			cm.Data[k] = v
		}
	})
	if err != nil {
		return fmt.Errorf("publishing %s/%s: %w", w.opts.Namespace, FeatureConfigMap, err)
	}
	return nil
}
