package hub

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// groupErrors turns the errors that the merges found in object into one
// refusal: each distinct message once, in message order, cut to
// limits.MaxMessageBytes, followed (for `common`) by the clusters it
// occurs for, so that a fault of common is listed once and not once per
// cluster; the placeholder cluster that checks `common` alone is not named.
// At most maxReportedErrors messages are listed, then how many more there
// are. No errors is nil.
func groupErrors(object string, seen []found) error {
	if len(seen) == 0 {
		return nil
	}
	clusters := map[string][]string{}
	var order []string
	for _, f := range seen {
		if _, ok := clusters[f.msg]; !ok {
			order = append(order, f.msg)
		}
		if f.cluster != placeholderCluster || object != hotplugv1.CommonName {
			clusters[f.msg] = append(clusters[f.msg], f.cluster)
		} else if clusters[f.msg] == nil {
			clusters[f.msg] = []string{}
		}
	}
	sort.Strings(order)
	var errs []error
	for i, msg := range order {
		if i == maxReportedErrors {
			errs = append(errs, fmt.Errorf("and %d more problems", len(order)-i))
			break
		}
		errs = append(errs, fmt.Errorf("%s%s", limits.Message(msg, limits.MaxMessageBytes), forClusters(object, clusters[msg])))
	}
	return errors.Join(errs...)
}

// forClusters says for which clusters a problem of `common` occurs; a
// cluster's own Hotplug has only one.
func forClusters(object string, cs []string) string {
	if object != hotplugv1.CommonName || len(cs) == 0 {
		return ""
	}
	sort.Strings(cs)
	cs = slices.Compact(cs)
	const show = 3
	if len(cs) <= show {
		return " (for cluster " + strings.Join(cs, ", ") + ")"
	}
	return fmt.Sprintf(" (for clusters %s and %d more)", strings.Join(cs[:show], ", "), len(cs)-show)
}
