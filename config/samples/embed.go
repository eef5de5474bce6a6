// Package samples embeds the sample objects under config/samples: the seed's
// `common` and `pivot-cluster` Hotplugs, byte-for-byte, and a Cluster.
package samples

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.yaml
var files embed.FS

// Names lists the sample files, Clusters first so Hotplugs that name a
// cluster find it registered.
func Names() []string {
	entries, _ := fs.Glob(files, "*.yaml")
	sort.SliceStable(entries, func(i, j int) bool { return entries[i] < entries[j] })
	return entries
}

// MustRead returns a sample's bytes; names come from Names.
func MustRead(name string) []byte {
	data, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return data
}
