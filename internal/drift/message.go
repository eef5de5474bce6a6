package drift

import (
	"strings"
	"time"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// maxEntryBytes bounds one object's part of a message, so one object with
// long paths cannot hide the others.
const maxEntryBytes = 256

// Describe returns the drifts as one line, "Deployment ns/web deleted;
// ConfigMap ns/cfg changed (data.a)", at most n bytes (cut with
// limits.Message); each object's part is at most 256 bytes. Empty for no
// drifts.
func Describe(drifts []Drift, n int) string {
	parts := make([]string, 0, len(drifts))
	for _, d := range drifts {
		parts = append(parts, limits.Message(d.String(), maxEntryBytes))
	}
	return limits.Message(strings.Join(parts, "; "), n)
}

// RepairedMessage is the text of the Event (reason DriftRepaired) and of
// the component's lastDriftRepair message after Repair set drifts back:
// "drift repaired: " + Describe, at most limits.MaxEventBytes.
func RepairedMessage(drifts []Drift) string {
	return limits.Message("drift repaired: "+Describe(drifts, limits.MaxEventBytes), limits.MaxEventBytes)
}

// HeldMessage is the text of the Event (reason DriftRepairHeld) when a
// Tracker holds the repair of a component that keeps drifting: "drift
// keeps coming back, repair held until <RFC 3339 time>: " + Describe, at
// most limits.MaxEventBytes.
func HeldMessage(drifts []Drift, until time.Time) string {
	return limits.Message("drift keeps coming back, repair held until "+until.UTC().Format(time.RFC3339)+": "+
		Describe(drifts, limits.MaxEventBytes), limits.MaxEventBytes)
}
