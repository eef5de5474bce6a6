package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// forms returns the spellings of the value v that an error may quote:
// v itself, escaped as JSON (with and without HTML escaping) and by Go's %q
// (and its ASCII-only variant), single-quoted for YAML, each line of a
// multi-line value, and base64 (standard and URL alphabets, padded and raw,
// whole and at each alignment inside a longer encoded text). Duplicates are
// left to the caller.
func forms(v string) []string {
	out := []string{v, jsonInner(v, true), jsonInner(v, false),
		unquote(strconv.Quote(v)), unquote(strconv.QuoteToASCII(v)), strings.ReplaceAll(v, "'", "''")}
	if strings.Contains(v, "\n") {
		for line := range strings.SplitSeq(v, "\n") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(v)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(v)))
		for offset := range 3 {
			if core := base64Core(enc, v, offset); len(core) >= MinAnywhere {
				out = append(out, core)
			}
		}
	}
	return out
}

// base64Core returns the characters of the base64 encoding of v that do not
// depend on the bytes around it, when v starts offset bytes (mod 3) into a
// longer encoded text: the first characters also hold bits of the bytes
// before it and the last one bits of those after.
func base64Core(enc *base64.Encoding, v string, offset int) string {
	raw := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, offset), v...))
	from := (offset*8 + 5) / 6
	to := (offset + len(v)) * 8 / 6
	if to <= from {
		return ""
	}
	return raw[from:to]
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
