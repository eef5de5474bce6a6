package agent

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// CacheOptions are the manager cache options an agent runs with. The
// agent watches the workloads and pods of the whole cluster (metadata
// only) to learn when a release's objects change; its handlers read no
// more than an object's name, namespace and the two Helm release
// annotations, so the cache keeps only those (trimForCache): in a cluster
// with many pods, their labels, other annotations, owner references and
// managed fields would otherwise be most of the agent's memory.
func CacheOptions() cache.Options {
	return cache.Options{DefaultTransform: trimForCache}
}

// cachedAnnotations are the annotations the watch handlers read.
var cachedAnnotations = []string{AnnotationReleaseName, AnnotationReleaseNamespace}

// trimForCache reduces a metadata-only object to what the handlers and
// the informer need, and drops the managed fields of full objects (the
// Hotplug objects: the agent never reads them).
func trimForCache(obj any) (any, error) {
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		var keep map[string]string
		for _, k := range cachedAnnotations {
			if v, ok := o.Annotations[k]; ok {
				if keep == nil {
					keep = map[string]string{}
				}
				keep[k] = v
			}
		}
		o.ObjectMeta = metav1.ObjectMeta{
			Name: o.Name, Namespace: o.Namespace, UID: o.UID, ResourceVersion: o.ResourceVersion,
			Generation: o.Generation, DeletionTimestamp: o.DeletionTimestamp, Annotations: keep,
		}
		return o, nil
	case metav1.Object:
		o.SetManagedFields(nil)
		return obj, nil
	default:
		return obj, nil
	}
}
