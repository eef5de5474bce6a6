package agent

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Helm's ownership annotations on every object of a release.
const (
	AnnotationReleaseName      = "meta.helm.sh/release-name"
	AnnotationReleaseNamespace = "meta.helm.sh/release-namespace"
)

// workloadKinds are the kinds whose changes can change a release's health,
// besides pods. They are watched as metadata only: any change (status
// included) bumps the resourceVersion and brings an event, at a fraction of
// the memory of full objects; only objects that Helm made for a release the
// agent manages enqueue their component.
func workloadKinds() []client.Object {
	return []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &batchv1.Job{}, &corev1.PersistentVolumeClaim{}}
}

// releaseObject keeps only objects that Helm made for some release.
func releaseObject() predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetAnnotations()[AnnotationReleaseName] != ""
	})
}

// requestForRelease maps an object of a release to the component of that
// release, when the agent manages it: its name is the component's name and
// its namespace the one the agent knows for it.
func (r *Reconciler) requestForRelease(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetAnnotations()[AnnotationReleaseName]
	if name == "" {
		return nil
	}
	ns := o.GetAnnotations()[AnnotationReleaseNamespace]
	if ns == "" {
		ns = o.GetNamespace()
	}
	if !r.manages(name, ns) {
		return nil
	}
	healthEvents.Inc()
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
}

// requestsForPod maps a pod to its release's component when Helm made it,
// and otherwise (a pod of a workload) to every component whose release
// lives in the pod's namespace: a pod's reason (Unschedulable, a crash)
// is part of its workload's health message.
func (r *Reconciler) requestsForPod(ctx context.Context, o client.Object) []reconcile.Request {
	if o.GetAnnotations()[AnnotationReleaseName] != "" {
		return r.requestForRelease(ctx, o)
	}
	var reqs []reconcile.Request
	for name, out := range r.outs.snapshot() {
		if out.Release != nil && out.Release.Namespace == o.GetNamespace() {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
		}
	}
	if len(reqs) > 0 {
		healthEvents.Inc()
	}
	return reqs
}

// manages tells whether the agent has a release name in namespace.
func (r *Reconciler) manages(name, namespace string) bool {
	if rel := r.outs.get(name).Release; rel != nil && rel.Namespace == namespace {
		return true
	}
	return namespace != "" && r.inv.get(name) == namespace
}

// watchWorkloads adds the metadata-only watches of the release objects
// that tell a component's health to b.
func (r *Reconciler) watchWorkloads(b *builder.Builder) *builder.Builder {
	for _, obj := range workloadKinds() {
		b = b.WatchesMetadata(obj, handler.EnqueueRequestsFromMapFunc(r.requestForRelease), builder.WithPredicates(releaseObject()))
	}
	return b.WatchesMetadata(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.requestsForPod))
}
