package hub

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// budget decides which clusters' reports common's status summarizes:
// costs (cluster → what its own text takes, see costOf) are taken cheapest
// first, ties in name order, while together they fit in total; every
// cluster left is over its share and is summarized. So the clusters that
// report the most text are summarized first, one cluster's report can
// never crowd out the others', and what the reports take together stays
// within total whatever they say.
func budget(costs map[string]int, total int) map[string]bool {
	var sum int
	for _, c := range costs {
		sum += c
	}
	if sum <= total {
		return nil
	}
	names := slices.SortedFunc(maps.Keys(costs), func(a, b string) int {
		return cmp.Or(cmp.Compare(costs[a], costs[b]), cmp.Compare(a, b))
	})
	over := map[string]bool{}
	used := 0
	for _, n := range names {
		if len(over) == 0 && used+costs[n] <= total {
			used += costs[n]
			continue
		}
		over[n] = true
	}
	return over
}

// setSummarized sets common's ReportsSummarized condition: True naming the
// clusters whose reports are summarized (over) and counting the components
// not listed; removed when neither.
func setSummarized(conds *[]metav1.Condition, over map[string]bool, unlisted int, generation int64, now metav1.Time) {
	if len(over) == 0 && unlisted == 0 {
		meta.RemoveStatusCondition(conds, hotplugv1.ConditionReportsSummarized)
		return
	}
	c := metav1.Condition{Type: hotplugv1.ConditionReportsSummarized, Status: metav1.ConditionTrue,
		ObservedGeneration: generation, LastTransitionTime: now}
	var parts []string
	if len(over) > 0 {
		c.Reason = hotplugv1.ReasonReportsOverBudget
		parts = append(parts, fmt.Sprintf("the reports of %d clusters are over their share of common's status (%d KiB for all); "+
			"their components count, their messages are on their Cluster objects: %s", len(over), limits.MaxRollupReportBytes>>10,
			joinBounded(slices.Sorted(maps.Keys(over)), ", ", limits.MaxConditionBytes/2)))
	}
	if unlisted > 0 {
		if c.Reason == "" {
			c.Reason = hotplugv1.ReasonComponentsOverLimit
		}
		parts = append(parts, fmt.Sprintf("%d components of clusters' own configurations are not listed (at most %d are)",
			unlisted, limits.MaxStatusComponents))
	}
	c.Message = limits.Message(joinBounded(parts, "; ", limits.MaxConditionBytes), limits.MaxConditionBytes)
	meta.SetStatusCondition(conds, c)
}
