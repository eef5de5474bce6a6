package agent

import (
	"fmt"
	"time"

	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/mirror"
)

// Deleting the Hotplug CRD deletes every Hotplug of the cluster at once,
// without admission: the cache then shows `common` and the cluster's own
// Hotplug gone, which reads as "no component is wanted". The agent never
// uninstalls for that: an uninstall that follows from an absent source is
// confirmed past the cache and against the cluster's discovery first.
const (
	// KindRecheck is how long an uninstall held for the Hotplug kind
	// waits before the agent looks again.
	KindRecheck = 10 * time.Second
	// KindReturnGrace is how long, after this agent last saw the Hotplug
	// kind vanished, an absent source still holds an uninstall once the kind
	// is served again: the time a member's mirror needs to recreate its
	// mirrors (two of its healthy probes), or an operator to re-create the
	// Hotplugs after reinstalling the CRD.
	KindReturnGrace = 2 * mirror.HealthyProbeInterval
)

// absenceFacts is what the agent read before an uninstall that follows
// from an absent source (`common`, or the cluster's own Hotplug).
type absenceFacts struct {
	// LiveErr: the read of the sources past the cache failed.
	LiveErr error
	// LiveAbsent: the read past the cache confirms a source absent.
	LiveAbsent bool
	// Kind and KindWhy: the cluster's discovery of the Hotplug kind (read
	// only when LiveAbsent).
	Kind    kube.KindState
	KindWhy string
	// VanishedAt is when this agent last saw the kind vanished; zero:
	// never.
	VanishedAt time.Time
	Now        time.Time
}

// decideAbsence returns "" when the uninstall may proceed, or why it is
// held: the sources could not be read past the cache, the cache is behind
// (a source exists), the kind's discovery failed, the kind is not served
// (its CRD deleted or being deleted), or it was not served less than
// KindReturnGrace ago.
func decideAbsence(f absenceFacts) string {
	switch {
	case f.LiveErr != nil:
		return "reading the Hotplugs past the cache failed: " + f.LiveErr.Error()
	case !f.LiveAbsent:
		return "the cache is behind: a Hotplug it shows absent exists"
	case f.Kind == kube.KindUnknown:
		return "cannot tell whether the Hotplug kind is served: " + f.KindWhy
	case f.Kind == kube.KindVanished:
		return "the Hotplug kind is not served (" + f.KindWhy + "): its CRD was deleted, which deleted every Hotplug without admission"
	case !f.VanishedAt.IsZero() && f.Now.Before(f.VanishedAt.Add(KindReturnGrace)):
		return fmt.Sprintf("the Hotplug kind is served again since less than %s: waiting for the Hotplugs to be re-created", KindReturnGrace)
	}
	return ""
}
