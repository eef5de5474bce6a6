package mirror

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// readAssignment reads the cluster's assignment, from the pivot's cache
// when it holds it and live is false, otherwise past it, classifies the
// answer and reads the content it names (rollout.RevisionReader). The first read also starts the cache's informer of it, so a new
// assignment is mirrored without waiting for a probe.
func (m *Mirror) readAssignment(ctx context.Context, live bool) rollout.AssignmentRead {
	name := rollout.AssignmentName(m.cluster)
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: m.rolloutNS, Name: name}}
	if m.runCtx != nil {
		m.watch(cr.DeepCopy())
	}
	const key = "assignment"
	if !live && m.fromCache(ctx, cr) && m.seen.fresh(key, cr.UID, cr.Revision) {
		return m.revisions.Resolve(ctx, m.live, m.rolloutNS, rollout.ClassifyAssignment(name, cr, nil))
	}
	cr = &appsv1.ControllerRevision{}
	if err := m.live.Get(ctx, client.ObjectKey{Namespace: m.rolloutNS, Name: name}, cr); err != nil {
		return rollout.ClassifyAssignment(name, nil, err)
	}
	m.seen.observe(key, cr.UID, cr.Revision, true)
	return m.revisions.Resolve(ctx, m.live, m.rolloutNS, rollout.ClassifyAssignment(name, cr, nil))
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
		running = cur.Annotations[hotplugv1.SourceGenerationAnnotation]
	}
	m.log.Info("common is Progressive and its assignment cannot be used; the mirror of common is kept as it is",
		"reason", why, "mirroredRevision", running, "namespace", m.rolloutNS, "assignment", rollout.AssignmentName(m.cluster))
}
