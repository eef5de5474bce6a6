package rollout

import (
	"strconv"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// AtRevision returns a copy of common with spec and revision: the
// source-generation annotation (as a member's mirror has it) and the
// generation, so that statuses computed from it name the revision they
// describe, never common's newer generation.
func AtRevision(common *hotplugv1.Hotplug, spec hotplugv1.HotplugSpec, rev int64) *hotplugv1.Hotplug {
	out := common.DeepCopy()
	out.Spec = *spec.DeepCopy()
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	out.Annotations[hotplugv1.SourceGenerationAnnotation] = strconv.FormatInt(rev, 10)
	out.Generation = rev
	return out
}

// RevisionOf is the revision of `common` that common (as the agent read
// it) holds: its source-generation annotation (a member's mirror, the
// pivot's assigned copy), else, on the pivot, its generation; 0 when
// unknown.
func RevisionOf(common *hotplugv1.Hotplug, member bool) int64 {
	if common == nil {
		return 0
	}
	if v, ok := common.Annotations[hotplugv1.SourceGenerationAnnotation]; ok {
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	if member {
		return 0
	}
	return common.Generation
}
