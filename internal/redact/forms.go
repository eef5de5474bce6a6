package redact

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// forms returns the spellings of the value v that an error may quote:
// v itself, escaped as JSON (with and without HTML escaping) and by Go's %q
// (and its ASCII-only variant), single-quoted for YAML, and each line of a
// multi-line value. Base64 is found by decoding (encodedSpans), not
// spelled here. Duplicates are left to the caller.
func forms(v string) []string {
	out := make([]string, 0, 12)
	out = append(out, v)
	if needsEscape(v) {
		out = append(out, jsonInner(v, true), jsonInner(v, false),
			unquote(strconv.Quote(v)), unquote(strconv.QuoteToASCII(v)), strings.ReplaceAll(v, "'", "''"))
	}
	if strings.Contains(v, "\n") {
		for line := range strings.SplitSeq(v, "\n") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// needsEscape tells whether some quoting changes v: it holds a byte other
// than printable ASCII, or one of " \ ' < > &.
func needsEscape(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '\'' || c == '<' || c == '>' || c == '&' {
			return true
		}
	}
	return false
}

// jsonInner is v as encoding/json writes it inside its quotes.
func jsonInner(v string, escapeHTML bool) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(escapeHTML)
	_ = e.Encode(v) // a string always encodes
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

func unquote(q string) string { return q[1 : len(q)-1] }
