package redact

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
)

// Lengths that decide how a value is matched (see the package doc).
const (
	// MinToken is the length below which a value is never redacted.
	MinToken = 4
	// MinAnywhere is the length from which a value is redacted also inside
	// a longer word; shorter ones only as whole words.
	MinAnywhere = 8
)

// Bounds of the work. Values may be MiBs; a message is scanned at most
// MaxScanBytes deep and compared at most maxWork bytes, and a Redactor holds
// at most maxPatternBytes of spellings. Past any bound the text is Withheld
// rather than risk quoting a value.
const (
	MaxScanBytes    = 64 << 10
	maxWork         = 256 << 20
	maxPatternBytes = 64 << 20
)

// Redacted replaces a value in a message.
const Redacted = "<redacted>"

// Withheld replaces a message that could not be checked.
const Withheld = "(message withheld: the values hold too many strings to check it)"

// Redactor removes the strings of some values from messages. The zero value
// and nil redact nothing. It is safe for concurrent use once built.
type Redactor struct {
	// byKey holds the spellings by their first MinToken bytes, longest
	// first.
	byKey map[uint32][]pattern
	// tooMany is set when the values exceed maxPatternBytes: every message
	// is withheld.
	tooMany bool
}

type pattern struct {
	s string
	// token: matched only as a whole word.
	token bool
	// keep: a word that stays readable (the component's name), and with
	// it any value that lies inside one of its occurrences.
	keep bool
}

// New returns the Redactor of every string leaf (map values and list items,
// recursively) of values. keep lists words that are not secret and stay
// readable even when a value equals them or lies inside them: the
// component's name, its namespace.
func New(keep []string, values ...map[string]any) *Redactor {
	r := &Redactor{byKey: map[uint32][]pattern{}}
	seen := map[string]bool{}
	size := 0
	add := func(s string, keepWord bool) {
		if len(s) < MinToken || seen[s] {
			return
		}
		seen[s] = true
		size += len(s)
		k := key(s)
		r.byKey[k] = append(r.byKey[k], pattern{s: s, token: len(s) < MinAnywhere, keep: keepWord})
	}
	for _, w := range keep {
		add(w, true)
	}
	var walk func(any)
	walk = func(x any) {
		if size > maxPatternBytes {
			r.tooMany = true
			return
		}
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
			if len(t) < MinToken || common(t) {
				return
			}
			for _, f := range forms(t) {
				add(f, false)
			}
		}
	}
	for _, v := range values {
		walk(v)
	}
	if r.tooMany {
		r.byKey = nil
		return r
	}
	for k, ps := range r.byKey {
		// Longest first: the first match at a position is its widest.
		slices.SortFunc(ps, func(a, b pattern) int { return cmp.Compare(len(b.s), len(a.s)) })
		r.byKey[k] = ps
	}
	return r
}

func key(s string) uint32 { return binary.LittleEndian.Uint32([]byte(s[:MinToken])) }

// String returns msg with every value in it replaced by Redacted. Matches
// that overlap are replaced together, so no part of either is left. A
// message longer than MaxScanBytes is cut there first (ending in "…"), and
// the part of a value that the cut split is removed too.
func (r *Redactor) String(msg string) string {
	if r == nil {
		return msg
	}
	if r.tooMany {
		return Withheld
	}
	cut := false
	if len(msg) > MaxScanBytes {
		msg, cut = cutUTF8(msg, MaxScanBytes), true
	}
	work := 0
	spans, ok := r.findWork(msg, &work, false)
	if !ok {
		return Withheld
	}
	encoded, ok := r.encodedSpans(msg, &work)
	if !ok {
		return Withheld
	}
	spans = append(spans, encoded...)
	tail := len(msg)
	if cut {
		n, ok := r.splitTail(msg)
		if !ok {
			return Withheld
		}
		tail -= n
		spans = append(spans, span{tail, len(msg)})
	}
	var b strings.Builder
	at := 0
	for _, s := range merge(spans) {
		b.WriteString(msg[at:s.from])
		if s.from < tail {
			b.WriteString(Redacted)
		} // else only the split first part of a value: dropped, the "…" says it
		at = s.to
	}
	b.WriteString(msg[at:])
	if cut {
		b.WriteString("…")
	}
	return b.String()
}

// Error returns err with its text redacted; errors.Is and errors.As still
// see the cause. nil stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil {
		return err
	}
	return Wrap(err, r.String(err.Error()))
}

// Wrap returns err with its text replaced by msg (err itself when msg is
// its text); errors.Is and errors.As still see err. nil stays nil.
func Wrap(err error, msg string) error {
	if err == nil || msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, cause: err}
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

type span struct{ from, to int }

// find returns the spans of msg that hold a value, in order of their
// start; false when the work bound was reached.
func (r *Redactor) find(msg string) ([]span, bool) {
	work := 0
	return r.findWork(msg, &work, false)
}

// findWork is find drawing on a shared work budget; anywhere matches
// short values inside words too.
func (r *Redactor) findWork(msg string, work *int, anywhere bool) ([]span, bool) {
	var spans []span
	keepEnd := 0
	for i := 0; i+MinToken <= len(msg); i++ {
		ps := r.byKey[key(msg[i:])]
		if len(ps) == 0 {
			continue
		}
		rest := msg[i:]
		matched := false
		for _, p := range ps {
			if len(p.s) > len(rest) {
				continue
			}
			*work += len(p.s)
			if *work > maxWork {
				return nil, false
			}
			if rest[:len(p.s)] != p.s || (p.token && !anywhere && !wordBounded(msg, i, i+len(p.s))) {
				continue
			}
			if p.keep {
				keepEnd = max(keepEnd, i+len(p.s))
				continue
			}
			if !matched && i+len(p.s) > keepEnd {
				spans = append(spans, span{i, i + len(p.s)})
			}
			matched = true
		}
	}
	return spans, true
}

// splitTail returns how many bytes at the end of msg are the first part of
// a value, so that a cut never leaves a value's beginning. The last
// MinToken-1 bytes are always counted (too short to look up), and so is a
// base64 run that reaches the end (its decoding is cut too).
func (r *Redactor) splitTail(msg string) (int, bool) {
	n, ok := r.splitValue(msg)
	for _, a := range alphabets {
		run := 0
		for run < len(msg) && a.in(msg[len(msg)-1-run]) {
			run++
		}
		n = max(n, run)
	}
	return n, ok
}

// splitValue is splitTail for the values as they are written.
func (r *Redactor) splitValue(msg string) (int, bool) {
	work := 0
	for i := 0; i+MinToken <= len(msg); i++ {
		rest := msg[i:]
		for _, p := range r.byKey[key(rest)] {
			if p.keep || len(p.s) <= len(rest) {
				continue
			}
			work += len(rest)
			if work > maxWork {
				return 0, false
			}
			if strings.HasPrefix(p.s, rest) {
				return len(rest), true
			}
		}
	}
	return min(len(msg), MinToken-1), true
}

// merge joins overlapping and touching spans.
func merge(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// wordBounded tells whether msg[from:to] is a whole word: neither the byte
// before it nor the one after continues a word across its edge.
func wordBounded(msg string, from, to int) bool {
	if from > 0 && isWord(msg[from-1]) && isWord(msg[from]) {
		return false
	}
	if to < len(msg) && isWord(msg[to-1]) && isWord(msg[to]) {
		return false
	}
	return true
}

// isWord: letters, digits, '_' and every byte of a multi-byte UTF-8
// character.
func isWord(c byte) bool {
	return c == '_' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// cutUTF8 cuts s to at most n bytes on a character boundary.
func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
