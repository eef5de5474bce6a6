package render

import (
	"fmt"
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Select picks `common` and the Hotplug named cluster from docs. common is
// required: without it a cluster's configuration means nothing, and the
// error says which files were searched and what to pass. own is nil when no
// document is named cluster (a cluster that only uses `common`). A name
// given twice is an error, because which one the operator means is unknown.
func Select(docs []Document, cluster string) (common, own *Document, err error) {
	if cluster == "" || cluster == hotplugv1.CommonName {
		return nil, nil, fmt.Errorf("cluster name %q: name the cluster to render, not common", cluster)
	}
	seen := map[string]*Document{}
	for i := range docs {
		d := &docs[i]
		name := d.Hotplug.Name
		if prev, dup := seen[name]; dup {
			return nil, nil, fmt.Errorf("hotplug %s is defined twice, at %s:%d and %s:%d: pass each object once", name, prev.File, prev.Line, d.File, d.Line)
		}
		seen[name] = d
	}
	common, own = seen[hotplugv1.CommonName], seen[cluster]
	if common == nil {
		return nil, nil, fmt.Errorf("no Hotplug named common in %s: pass the file that holds it with -f", fileList(docs))
	}
	return common, own, nil
}

// fileList names the files documents came from, for error messages.
func fileList(docs []Document) string {
	var files []string
	for _, d := range docs {
		if !slices.Contains(files, d.File) {
			files = append(files, d.File)
		}
	}
	if len(files) == 0 {
		return "the given files (they hold no Hotplug)"
	}
	return strings.Join(files, ", ")
}
