package helm

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Message bounds of the errors the Client returns. Helm's errors can quote a
// rendered manifest (and with it the values); callers cut further to their
// own limits (limits.MaxMessageBytes for status).
const (
	// MaxErrorBytes bounds the text of an error returned by an action.
	MaxErrorBytes = 8 << 10
	// maxScanBytes bounds how much of Helm's message is scanned for values;
	// the rest is dropped before redaction.
	maxScanBytes = 64 << 10
	// minRedactBytes: shorter strings (numbers, booleans, short words) are
	// left as they are; they carry no secret and appear in every message.
	minRedactBytes = 8
	// maxRedactWork bounds the bytes compared while redacting; past it the
	// message is withheld rather than risk quoting a value.
	maxRedactWork = 256 << 20
)

// Redacted replaces a value in a message.
const Redacted = "<redacted>"

// withheld replaces a message that could not be checked.
const withheld = "(Helm's message withheld: the values hold too many strings to check it)"

// Redact returns msg with every string of values (the user's env, merged)
// of at least 8 bytes replaced by Redacted, then cut to MaxErrorBytes. keep
// lists strings that are not secret and stay readable (the release's name
// and namespace). A value cut in half at the end of an over-long message is
// removed too.
func Redact(msg string, values map[string]any, keep ...string) string {
	cut := false
	if len(msg) > maxScanBytes {
		msg, cut = limits.Message(msg, maxScanBytes), true
		msg = strings.TrimSuffix(msg, "…")
	}
	strs := valueStrings(values, keep)
	work := 0
	for _, s := range strs {
		work += len(msg) + len(s)
		if work > maxRedactWork {
			return limits.Message(withheld, MaxErrorBytes)
		}
		if len(s) <= len(msg) && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	if cut {
		// The scan cut may have split a value: drop its first part.
		for _, s := range strs {
			if k := overlap(msg, s); k > 0 {
				msg = msg[:len(msg)-k]
			}
		}
		msg += "…"
	}
	return limits.Message(msg, MaxErrorBytes)
}

// valueStrings returns the distinct strings of v (map values and list items,
// recursively) of at least minRedactBytes, longest first, without keep.
func valueStrings(v map[string]any, keep []string) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case string:
			if len(t) >= minRedactBytes && !slices.Contains(keep, t) {
				seen[t] = true
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	return out
}

// overlap returns the length of the longest proper prefix of s that msg
// ends with (0 when none), in time linear in len(s).
func overlap(msg, s string) int {
	tail := msg[max(0, len(msg)-len(s)+1):]
	// Prefix function of s + "\x00" + tail (KMP).
	text := s + "\x00" + tail
	pi := make([]int, len(text))
	for i := 1; i < len(text); i++ {
		k := pi[i-1]
		for k > 0 && text[i] != text[k] {
			k = pi[k-1]
		}
		if text[i] == text[k] {
			k++
		}
		pi[i] = k
	}
	return pi[len(text)-1]
}

// redactedError is an action's error whose text is Redact'ed; the cause is
// kept for errors.Is and errors.As.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// safeError returns err with its text redacted of values and bounded; nil
// stays nil.
func safeError(err error, values map[string]any, keep ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error(), values, keep...), cause: err}
}
