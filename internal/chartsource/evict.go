package chartsource

import (
	"sort"
	"time"
)

// cachedFile is one package in the cache, as eviction sees it.
type cachedFile struct {
	digest string
	size   int64
	used   time.Time
}

// evictions returns the digests to remove, least recently used first, so
// that the rest fit maxBytes; kept digests are never chosen (the rest may
// then stay over the bound). It is pure.
func evictions(files []cachedFile, maxBytes int64, kept func(string) bool) []string {
	var total int64
	for _, f := range files {
		total += f.size
	}
	sorted := append([]cachedFile(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].used.Before(sorted[j].used) })
	var out []string
	for _, f := range sorted {
		if total <= maxBytes {
			break
		}
		if kept(f.digest) {
			continue
		}
		out = append(out, f.digest)
		total -= f.size
	}
	return out
}
