package limits

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// JSONLen is the number of bytes s takes as a JSON string, quotes included,
// as the API server stores it (HTML characters and control characters
// escaped, each up to six bytes).
func JSONLen(s string) int {
	data, _ := json.Marshal(s)
	return len(data)
}

// moreKey is the entry MessagesJSON adds for the entries it had to leave
// out; it sorts after every component and "cluster <name>" key.
const moreKey = "~more"

// MessagesJSON renders m as the original's JSON object string (keys sorted,
// so equal maps give equal strings) that takes at most n bytes as stored
// (JSONLen of the result), n at least 64. When the entries together are too
// long each value is cut shorter, down to 8 bytes; when even that is too
// long, entries are left out from the end in key order and an entry "~more"
// says how many.
func MessagesJSON(m map[string]string, n int) string {
	if len(m) == 0 {
		return "{}"
	}
	keys := slices.Sorted(maps.Keys(m))
	for each := MaxMessageBytes; ; each /= 2 {
		cut := make(map[string]string, len(keys))
		for _, k := range keys {
			cut[k] = Message(m[k], each)
		}
		if s := encode(cut); JSONLen(s) <= n || each < 16 {
			if JSONLen(s) <= n {
				return s
			}
			break
		}
	}
	// Keep the longest prefix of the keys that fits (at 8 bytes a value).
	lo, hi := 0, len(keys)
	render := func(k int) string {
		cut := make(map[string]string, k+1)
		for _, key := range keys[:k] {
			cut[key] = Message(m[key], 8)
		}
		cut[moreKey] = fmt.Sprintf("%d more entries left out", len(keys)-k)
		return encode(cut)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if JSONLen(render(mid)) <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return render(lo)
}

func encode(m map[string]string) string {
	data, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(data)
}
