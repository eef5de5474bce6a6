// Package mirror copies, in a member cluster, exactly two Hotplug objects
// from the pivot: `common` and the one named after the member, and only
// while they carry kubecube.io/sync: "true". A mirror whose source is gone
// or no longer annotated is deleted. It pulls, so members keep their last
// mirrored configuration while the pivot is away.
package mirror

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// Labels and annotations that mark a mirror.
const (
	// LabelMirror marks a Hotplug that the agent mirrors from the pivot.
	LabelMirror = "hotplug.kubecube.io/mirror"
	// AnnotationSourceGeneration is the pivot object's generation that the
	// mirror's spec copies, so status reported back names the right one.
	AnnotationSourceGeneration = "hotplug.kubecube.io/source-generation"
	// AnnotationStatusBy marks `common` on the pivot whose status the hub
	// owns; it is not copied into mirrors.
	AnnotationStatusBy = "hotplug.kubecube.io/status-by"
)

// Mirror is a manager Runnable that keeps the two mirrors in step.
type Mirror struct {
	cluster  string
	pivot    client.WithWatch
	pivotDC  discovery.DiscoveryInterface
	local    client.Client
	log      logr.Logger
	onChange func()

	mu        sync.Mutex
	informers map[string]toolscache.SharedIndexInformer
	connected bool
	reason    string
}

// New returns a Mirror for cluster. onChange is called when a mirror or the
// connection state changes, so the agent can react.
func New(cluster string, pivotCfg *rest.Config, local client.Client, log logr.Logger, onChange func()) (*Mirror, error) {
	pivot, err := client.NewWithWatch(pivotCfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		return nil, fmt.Errorf("pivot client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(pivotCfg)
	if err != nil {
		return nil, fmt.Errorf("pivot discovery client: %w", err)
	}
	return &Mirror{cluster: cluster, pivot: pivot, pivotDC: dc, local: local, log: log.WithName("mirror"),
		onChange: onChange, informers: map[string]toolscache.SharedIndexInformer{}, reason: "not yet connected"}, nil
}

// Connected reports whether the pivot answered lately, and why not.
func (m *Mirror) Connected() (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.connected, m.reason
}

func (m *Mirror) setConnected(ok bool, reason string) {
	m.mu.Lock()
	changed := m.connected != ok
	m.connected, m.reason = ok, reason
	m.mu.Unlock()
	if changed {
		if ok {
			m.log.Info("pivot reachable")
		} else {
			m.log.Info("pivot unreachable; keeping the last mirrored configuration", "reason", reason)
		}
		m.onChange()
	}
}

// Start runs one watch per mirrored name and a connectivity probe until ctx
// ends.
func (m *Mirror) Start(ctx context.Context) error {
	for _, name := range []string{hotplugv1.CommonName, m.cluster} {
		inf := toolscache.NewSharedIndexInformer(m.listWatch(name), &hotplugv1.Hotplug{}, 5*time.Minute, toolscache.Indexers{})
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *toolscache.Reflector, err error) {
			m.setConnected(false, err.Error())
		})
		sync := func(any) { m.sync(ctx, name) }
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: sync, UpdateFunc: func(_, o any) { sync(o) }, DeleteFunc: sync,
		}); err != nil {
			return fmt.Errorf("watching pivot Hotplug %s: %w", name, err)
		}
		m.mu.Lock()
		m.informers[name] = inf
		m.mu.Unlock()
		go inf.RunWithContext(ctx)
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		if _, err := m.pivotDC.ServerVersion(); err != nil {
			m.setConnected(false, err.Error())
		} else {
			m.setConnected(true, "")
			// Catch up after an outage even when no event arrives.
			for _, name := range []string{hotplugv1.CommonName, m.cluster} {
				m.sync(ctx, name)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// listWatch lists and watches the single pivot object called name; the
// field selector lets RBAC restrict the member to resourceNames.
func (m *Mirror) listWatch(name string) *toolscache.ListWatch {
	sel := client.MatchingFields{"metadata.name": name}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list := &hotplugv1.HotplugList{}
			err := m.pivot.List(ctx, list, sel, &client.ListOptions{Raw: &opts})
			if err == nil {
				m.setConnected(true, "")
			}
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return m.pivot.Watch(ctx, &hotplugv1.HotplugList{}, sel, &client.ListOptions{Raw: &opts})
		},
	}
}

// sync makes the local mirror of name match the pivot's object.
func (m *Mirror) sync(ctx context.Context, name string) {
	m.mu.Lock()
	inf := m.informers[name]
	m.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		return // never delete on an unknown state
	}
	obj, exists, err := inf.GetStore().GetByKey(name)
	if err != nil {
		m.log.Error(err, "reading the watch cache", "hotplug", name)
		return
	}
	src, _ := obj.(*hotplugv1.Hotplug)
	if !exists || src == nil || src.Annotations[hotplugv1.SyncAnnotation] != "true" {
		m.remove(ctx, name)
		return
	}
	if err := m.upsert(ctx, src); err != nil {
		m.log.Error(err, "mirroring", "hotplug", name)
	}
}

// Desired returns the mirror of src: its spec, labels and annotations (but
// the hub's), marked as a mirror of the given source generation.
func Desired(src *hotplugv1.Hotplug) *hotplugv1.Hotplug {
	labels := maps.Clone(src.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelMirror] = "true"
	ann := maps.Clone(src.Annotations)
	delete(ann, AnnotationStatusBy)
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	ann[AnnotationSourceGeneration] = fmt.Sprint(src.Generation)
	return &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: src.Name, Labels: labels, Annotations: ann},
		Spec:       *src.Spec.DeepCopy(),
	}
}

func (m *Mirror) upsert(ctx context.Context, src *hotplugv1.Hotplug) error {
	want := Desired(src)
	cur := &hotplugv1.Hotplug{}
	err := m.local.Get(ctx, client.ObjectKey{Name: src.Name}, cur)
	if apierrors.IsNotFound(err) {
		if err := m.local.Create(ctx, want); err != nil {
			return fmt.Errorf("creating mirror %s: %w", src.Name, err)
		}
		m.log.Info("mirrored", "hotplug", src.Name, "generation", src.Generation)
		m.onChange()
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading mirror %s: %w", src.Name, err)
	}
	if equality.Semantic.DeepEqual(cur.Spec, want.Spec) && maps.Equal(cur.Labels, want.Labels) && maps.Equal(cur.Annotations, want.Annotations) {
		return nil
	}
	cur.Spec, cur.Labels, cur.Annotations = want.Spec, want.Labels, want.Annotations
	if err := m.local.Update(ctx, cur); err != nil {
		return fmt.Errorf("updating mirror %s: %w", src.Name, err)
	}
	m.log.Info("mirror updated", "hotplug", src.Name, "generation", src.Generation)
	m.onChange()
	return nil
}

// remove deletes the local mirror of name; a local Hotplug that is not a
// mirror is left alone.
func (m *Mirror) remove(ctx context.Context, name string) {
	cur := &hotplugv1.Hotplug{}
	if err := m.local.Get(ctx, client.ObjectKey{Name: name}, cur); err != nil {
		return
	}
	if cur.Labels[LabelMirror] != "true" {
		return
	}
	if err := m.local.Delete(ctx, cur); err != nil && !apierrors.IsNotFound(err) {
		m.log.Error(err, "deleting mirror", "hotplug", name)
		return
	}
	m.log.Info("mirror deleted: source gone or no longer synced", "hotplug", name)
	m.onChange()
}
