package mirror

import (
	"github.com/kubecube-io/hotplug/internal/kube"
)

// AnnotationKindVanished, "true" on a mirror, holds it: its source was
// last seen gone together with the Hotplug kind on the pivot (the CRD
// deleted or being deleted, which deletes every Hotplug at once without
// admission). A held mirror is not deleted for its source's absence; it is
// released when the source is seen again (the mirror is then applied
// from it), or by deleting the mirror by hand.
const AnnotationKindVanished = "hotplug.kubecube.io/source-kind-vanished"

// guardKind adjusts decideMirror's decision d for the source's kind, so
// that a member never uninstalls because the Hotplug kind vanished on the
// pivot. A held mirror is kept while its source is absent (an Apply, or an
// unsynced source that exists again, proceed). A Delete, and an answer
// that says the kind is not served (KindUnserved) for a mirrored source,
// ask kind (called only then): kube.KindServed lets a Delete go ahead,
// kube.KindVanished holds the mirror, kube.KindUnknown keeps it and restarts the
// confirmation.
func guardKind(d Decision, obs Observation, mirrored, held bool, kind func() kube.KindState) Decision {
	if held && obs.Source == SourceNotFound {
		return Decision{Action: Keep}
	}
	if d.Action != Delete && (!mirrored || held || !obs.KindUnserved) {
		return d
	}
	switch kind() {
	case kube.KindServed:
		return d
	case kube.KindVanished:
		return Decision{Action: Hold}
	default:
		return Decision{Action: Keep}
	}
}
