package mirror

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// readAssignment GETs the cluster's assignment from the pivot and
// classifies the answer. The first read also starts a watch of it by name,
// so a new assignment is mirrored without waiting for the probe.
func (m *Mirror) readAssignment(ctx context.Context) Assignment {
	name := rollout.AssignmentName(m.cluster)
	if !m.watching && m.runCtx != nil {
		m.watching = true
		if err := m.watch(m.runCtx, m.assignmentListWatch(name), &appsv1.ControllerRevision{}); err != nil {
			m.log.Error(err, "watching the assignment; reading it every probe interval", "namespace", m.rolloutNS, "name", name)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	cr := &appsv1.ControllerRevision{}
	if err := m.pivot.Get(ctx, client.ObjectKey{Namespace: m.rolloutNS, Name: name}, cr); err != nil {
		return ClassifyAssignment(name, nil, err)
	}
	return ClassifyAssignment(name, cr, nil)
}

// assignmentListWatch lists and watches the single assignment called name
// in the rollout namespace; the field selector lets RBAC restrict the
// member to that resource name.
func (m *Mirror) assignmentListWatch(name string) *toolscache.ListWatch {
	sel := client.MatchingFields{"metadata.name": name}
	ns := client.InNamespace(m.rolloutNS)
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list := &appsv1.ControllerRevisionList{}
			return list, m.pivot.List(ctx, list, ns, sel, &client.ListOptions{Raw: &opts})
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return m.pivot.Watch(ctx, &appsv1.ControllerRevisionList{}, ns, sel, &client.ListOptions{Raw: &opts})
		},
	}
}

// noteKept logs, once per change, why the mirror of `common` is kept as it
// is instead of following the source (why empty: it follows again).
func (m *Mirror) noteKept(why string, cur *hotplugv1.Hotplug) {
	if why == m.kept {
		return
	}
	m.kept = why
	if why == "" {
		m.log.Info("the mirror of common follows the pivot again")
		return
	}
	running := "none"
	if cur != nil {
		running = cur.Annotations[AnnotationSourceGeneration]
	}
	m.log.Info("common is Progressive and its assignment cannot be used; the mirror of common is kept as it is",
		"reason", why, "mirroredRevision", running, "namespace", m.rolloutNS, "assignment", rollout.AssignmentName(m.cluster))
}
