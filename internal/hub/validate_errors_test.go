package hub

import (
	"fmt"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestGroupErrors: the merges' errors of one object become one refusal,
// each message once and in order, naming for `common` the clusters it
// occurs for (never the placeholder), bounded in count and length.
func TestGroupErrors(t *testing.T) {
	many := make([]found, maxReportedErrors+3)
	for i := range many {
		many[i] = found{msg: fmt.Sprintf("problem %02d", i), cluster: "c1"}
	}
	cases := []struct {
		name   string
		object string
		seen   []found
		want   string // the refusal's text, "" for nil
	}{
		{"nothing found", hotplugv1.CommonName, nil, ""},
		{"common: once, with its clusters in order",
			hotplugv1.CommonName, []found{{"b bad", "m2"}, {"a bad", "m1"}, {"b bad", "m1"}, {"b bad", "m2"}},
			"a bad (for cluster m1)\nb bad (for cluster m1, m2)"},
		{"common: more than three clusters",
			hotplugv1.CommonName, []found{{"x", "m4"}, {"x", "m3"}, {"x", "m2"}, {"x", "m1"}, {"x", "m5"}},
			"x (for clusters m1, m2, m3 and 2 more)"},
		{"common alone: the placeholder is not named",
			hotplugv1.CommonName, []found{{"x", placeholderCluster}},
			"x"},
		{"common: the placeholder among real clusters",
			hotplugv1.CommonName, []found{{"x", placeholderCluster}, {"x", "m1"}},
			"x (for cluster m1)"},
		{"a cluster's Hotplug names no cluster",
			"m1", []found{{"y", "m1"}, {"y", "m1"}},
			"y"},
		{"bounded count", "m1", many,
			func() string {
				var lines []string
				for i := range maxReportedErrors {
					lines = append(lines, fmt.Sprintf("problem %02d", i))
				}
				return strings.Join(append(lines, "and 3 more problems"), "\n")
			}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := groupErrors(c.object, c.seen)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	long := groupErrors("m1", []found{{strings.Repeat("z", 3*limits.MaxMessageBytes), "m1"}})
	if len(long.Error()) > limits.MaxMessageBytes {
		t.Errorf("a message of %d bytes was not cut", len(long.Error()))
	}
}
