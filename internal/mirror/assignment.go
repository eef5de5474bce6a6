package mirror

import (
	"fmt"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// desiredMirror returns the mirror that a present source calls for, or nil
// and why the current mirror must stay exactly as it is. When `common` is
// Progressive its spec comes from the cluster's assignment (asg; nil when
// not read) and the source generation names the assigned revision; labels
// and annotations still come from `common` itself. Any other source, or a
// `common` that is not Progressive, is mirrored as it is.
func desiredMirror(obs Observation, asg *rollout.AssignmentRead) (*hotplugv1.Hotplug, string) {
	if obs.Object == nil {
		return nil, "no source object to mirror"
	}
	want := Desired(obs.Object)
	if obs.Name != hotplugv1.CommonName || !rollout.Progressive(obs.Object) {
		return want, ""
	}
	switch {
	case asg == nil:
		return nil, "common is Progressive and the assignment was not read"
	case asg.Revision == nil:
		return nil, asg.Detail
	}
	want.Spec = *asg.Revision.Spec.DeepCopy()
	want.Annotations[hotplugv1.SourceGenerationAnnotation] = fmt.Sprint(asg.Revision.Number)
	return want, ""
}
