// Package jsonpointer parses RFC 6901 JSON pointers and reads, sets and
// removes the values they name in decoded JSON (map[string]any, []any). It
// is pure.
package jsonpointer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Causes of a pointer that Parse refuses.
var (
	ErrNoSlash   = errors.New(`must be empty or start with "/"`)
	ErrBadEscape = errors.New(`"~" must be followed by "0" or "1"`)
)

// Parse splits an RFC 6901 pointer into its reference tokens, unescaped
// ("~1" is "/", "~0" is "~"): "/a/b~1c" is ["a", "b/c"], "" (the whole
// document) is none. An error names the cause and the offending position.
func Parse(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, ErrNoSlash
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || p[i+1] != '0' && p[i+1] != '1') {
			return nil, fmt.Errorf("%w (at byte %d)", ErrBadEscape, i)
		}
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// Get returns the value toks name in doc, and whether it exists. A token
// indexes a list only when it is a decimal index in range ("-", the element
// past the end, never exists).
func Get(doc any, toks []string) (any, bool) {
	cur := doc
	for _, t := range toks {
		next, ok := child(cur, t)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// Set replaces the value toks name in doc with v when its parent exists (a
// map, or a list with the index in range); it reports whether it did. It
// never creates parents: a field whose parent is absent is not in doc.
func Set(doc any, toks []string, v any) bool {
	if len(toks) == 0 {
		return false
	}
	parent, ok := Get(doc, toks[:len(toks)-1])
	if !ok {
		return false
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
		return true
	case []any:
		if i, ok := index(last, len(p)); ok {
			p[i] = v
			return true
		}
	}
	return false
}

// Remove deletes the map field toks name from doc and reports whether it
// did; a list element is not removed (that would shift the others), only a
// map key.
func Remove(doc any, toks []string) bool {
	if len(toks) == 0 {
		return false
	}
	parent, ok := Get(doc, toks[:len(toks)-1])
	if !ok {
		return false
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m[toks[len(toks)-1]]; !ok {
		return false
	}
	delete(m, toks[len(toks)-1])
	return true
}

// child returns cur's member named by token t.
func child(cur any, t string) (any, bool) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[t]
		return v, ok
	case []any:
		if i, ok := index(t, len(c)); ok {
			return c[i], true
		}
	}
	return nil, false
}

// index parses an RFC 6901 array index (no sign, no leading zero) below n.
func index(t string, n int) (int, bool) {
	if t == "" || len(t) > 1 && t[0] == '0' {
		return 0, false
	}
	i, err := strconv.Atoi(t)
	if err != nil || i < 0 || i >= n || strings.ContainsAny(t, "+-") {
		return 0, false
	}
	return i, true
}
