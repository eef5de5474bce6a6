package limits

import "unicode/utf8"

// Message sizes. The API server refuses an Event message over 1024 bytes
// and hotplug's CRDs cap condition messages at 32 KiB; a status holds one
// message per component and, in the pivot, per cluster, so each is kept
// short enough that a roll-up of hundreds of them stays within an object.
const (
	// MaxMessageBytes bounds one component's or one cluster's message.
	MaxMessageBytes = 1024
	// MaxEventBytes bounds an Event's message (the API server's own limit).
	MaxEventBytes = 1024
	// MaxConditionBytes bounds a condition message (the CRD's limit is 32768).
	MaxConditionBytes = 16 << 10
)

// ellipsis marks a cut message.
const ellipsis = "…"

// Message returns s cut to at most n bytes on a UTF-8 boundary, ending in an
// ellipsis when it was cut. n below the ellipsis' size returns "".
func Message(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
