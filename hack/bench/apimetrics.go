package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubecube-io/hotplug/internal/apimetrics"
)

// format prints request counters as "VERB n, ..." by verb (dry runs
// apart), sorted by count, per minute over minutes when minutes > 0.
func format(c apimetrics.Counts, minutes float64) string {
	byVerb := c.ByVerb()
	keys := make([]string, 0, len(byVerb))
	for k := range byVerb {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return byVerb[keys[i]] > byVerb[keys[j]] || byVerb[keys[i]] == byVerb[keys[j]] && keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		v := byVerb[k]
		if minutes > 0 {
			v /= minutes
		}
		parts = append(parts, fmt.Sprintf("%s %s", k, trim(v)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func trim(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
