package rollout

import (
	"slices"
	"sort"
)

// HistoryKept is how many of the newest history revisions the hub keeps
// besides the complete and the target ones.
const HistoryKept = 10

// Prune returns the history revisions to delete: all but the newest
// HistoryKept, the complete one, the target (which `hotplug rollout undo`
// and new clusters need) and any in assigned (an assignment names its
// revision's content, which must stay readable while it does).
func Prune(revisions []int64, complete, target int64, assigned ...int64) []int64 {
	sorted := append([]int64(nil), revisions...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] > sorted[j] })
	var out []int64
	for i, r := range sorted {
		if i < HistoryKept || r == complete || r == target || slices.Contains(assigned, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}
