package drift

import (
	"slices"
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

// RepairedMessage is the text of the Event (reason DriftRepaired), of the
// repair's log line and of the component's lastDriftRepair message after
// Repair set drifts back: "drift repaired: " + Describe, each changed field
// followed by the managers that had set it ("Deployment ns/web changed
// (spec.template.spec.containers[name=web].image by admission-mirror)";
// several are joined with "+"), at most limits.MaxEventBytes. It names
// fields and managers, never values.
func RepairedMessage(drifts []Drift) string {
	return limits.Message("drift repaired: "+Describe(withOwners(drifts), limits.MaxEventBytes), limits.MaxEventBytes)
}

// withOwners returns copies of drifts whose Fields name their Owners.
func withOwners(drifts []Drift) []Drift {
	out := make([]Drift, len(drifts))
	for i, d := range drifts {
		if len(d.Owners) > 0 {
			fields := make([]string, len(d.Fields))
			for j, f := range d.Fields {
				fields[j] = f
				if j < len(d.Owners) && len(d.Owners[j]) > 0 {
					fields[j] += " by " + strings.Join(d.Owners[j], "+")
				}
			}
			d.Fields = fields
		}
		out[i] = d
	}
	return out
}

// Managers returns the managers that had set the fields of drifts, sorted,
// without duplicates: for a log line's structured field.
func Managers(drifts []Drift) []string {
	var out []string
	for _, d := range drifts {
		for _, ms := range d.Owners {
			out = append(out, ms...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HeldMessage is the text of the Event (reason DriftNotRepaired) when a
// Tracker holds the repair of a component that keeps drifting or whose
// repair keeps failing: "drift keeps coming back or its repair fails,
// repair held until <RFC 3339 time>: " + Describe, at most
// limits.MaxEventBytes.
func HeldMessage(drifts []Drift, until time.Time) string {
	return limits.Message("drift keeps coming back or its repair fails, repair held until "+until.UTC().Format(time.RFC3339)+": "+
		Describe(drifts, limits.MaxEventBytes), limits.MaxEventBytes)
}
