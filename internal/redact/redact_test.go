package redact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	values := map[string]any{
		"password": "hunter2",
		"token":    "tok-ABCDEFGHIJ",
		"quoted":   "pa\"ss\nwörd<&>",
		"nested":   map[string]any{"list": []any{"listed-secret-1", 3, true, "abc"}},
		"word":     "apps2",
		"policy":   "Always",
		"ns":       "default",
		"name":     "monitoring",
		"inner":    "prometheus",
		"a":        "overlap-left-XYZ",
		"b":        "XYZ-overlap-right",
		"key":      "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----",
	}
	r := New([]string{"monitoring", "kube-prometheus"}, values)
	jsonOf := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct{ name, msg, want string }{
		{"short value as a word", `bad password hunter2`, `bad password <redacted>`},
		{"short value quoted", `Invalid value: "hunter2": must be`, `Invalid value: "<redacted>": must be`},
		{"short value inside a longer word stays", `xhunter2 hunter2x`, `xhunter2 hunter2x`},
		{"long value inside a longer word", `prefixtok-ABCDEFGHIJsuffix`, `prefix<redacted>suffix`},
		{"json-escaped value", `{"v":"` + jsonOf("pa\"ss\nwörd<&>") + `"}`, `{"v":"<redacted>"}`},
		{"go-quoted value", `value ` + strconv.Quote("pa\"ss\nwörd<&>"), `value "<redacted>"`},
		{"ascii-quoted value", `value ` + strconv.QuoteToASCII("pa\"ss\nwörd<&>"), `value "<redacted>"`},
		{"base64 std", `data: ` + b64([]byte("hunter2")), `data: <redacted>`},
		{"base64 url raw", `data: ` + base64.RawURLEncoding.EncodeToString([]byte("pa\"ss\nwörd<&>")), `data: <redacted>`},
		{"list item", `saw listed-secret-1.`, `saw <redacted>.`},
		{"overlapping values", `x overlap-left-XYZ-overlap-right y`, `x <redacted> y`},
		{"line of a multi-line value", "key:\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n", "key:\n    <redacted>\n"},
		{"short values under MinToken stay", `abc 3 true`, `abc 3 true`},
		{"component name and namespace stay", `release monitoring in namespace kube-prometheus`, `release monitoring in namespace kube-prometheus`},
		{"a value alone is still redacted", `prometheus says hunter2`, `<redacted> says <redacted>`},
		{"short value only as a word", `Deployment.apps2 "x" in apps2v1`, `Deployment.<redacted> "x" in apps2v1`},
		{"common words stay", `namespace default: pull policy Always`, `namespace default: pull policy Always`},
	}
	for _, tc := range cases {
		if got := r.String(tc.msg); got != tc.want {
			t.Errorf("%s: String(%q)\n = %q\nwant %q", tc.name, tc.msg, got, tc.want)
		}
	}

	// A value inside a longer base64 text, at each of the three byte
	// alignments, in either alphabet: the whole encoded text goes.
	for offset := range 3 {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			text := strings.Repeat("x", offset) + "user: admin\npassword: hunter2\n"
			e := enc.EncodeToString([]byte(text))
			if got := r.String("data: " + e + " end"); got != "data: "+Redacted+" end" {
				t.Errorf("offset %d: String(%s) = %s", offset, e, got)
			}
		}
	}
	// Encoded text without a value stays.
	if e := b64([]byte("nothing secret here")); r.String(e) != e {
		t.Errorf("String(%s) = %s", e, r.String(e))
	}

	// Errors keep their cause.
	cause := errors.New("root")
	err := r.Error(fmt.Errorf("install: %w: hunter2", cause))
	if !errors.Is(err, cause) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Error = %v (Is cause %v)", err, errors.Is(err, cause))
	}
	if r.Error(nil) != nil || (*Redactor)(nil).String("hunter2") != "hunter2" {
		t.Error("nil error or nil Redactor changed something")
	}
}

func TestRedactBounds(t *testing.T) {
	// A long message is cut at MaxScanBytes, and a value split by the cut
	// leaves no part behind.
	long := strings.Repeat("Z", 2000) + "-secret-tail"
	r := New(nil, map[string]any{"v": long})
	msg := strings.Repeat("x", MaxScanBytes-500) + long + strings.Repeat("y", 100<<10)
	got := r.String(msg)
	if strings.Contains(got, "ZZZZ") || !strings.HasSuffix(got, "…") || len(got) > MaxScanBytes+len("…") {
		t.Errorf("cut message: %d bytes, fragment kept %v", len(got), strings.Contains(got, "ZZZZ"))
	}
	// Too many candidates sharing a prefix: the message is withheld.
	many := map[string]any{}
	for i := range 2000 {
		many[fmt.Sprint(i)] = strings.Repeat("a", 2000) + fmt.Sprint(i)
	}
	if got := New(nil, many).String(strings.Repeat("a", 60000)); got != Withheld {
		t.Errorf("over the work bound: %.80s", got)
	}
}

// FuzzRedact: a value of at least MinAnywhere bytes, in any of its forms,
// never survives inside any text; a short one never survives as a word;
// the base64 encoding of a text holding a value never survives.
func FuzzRedact(f *testing.F) {
	f.Add("bad password ", "s3cr3t-pa55word", " end", uint8(0))
	f.Add(`{"v":"`, "pa\"ss\nwörd<&>\u2028", `"}`, uint8(1))
	f.Add("data: ", "hunter2", "", uint8(6))
	f.Add("x", "aaaaaaaaaaaa", "aaaa", uint8(9))
	f.Fuzz(func(t *testing.T, prefix, value, suffix string, which uint8) {
		if len(value) < MinToken || common(value) || strings.ContainsRune(value, 0) || len(prefix)+len(value)+len(suffix) > 4096 {
			return
		}
		fs := forms(value)
		written := len(fs)
		for offset := range 3 {
			// Encoded inside a longer text, at each byte alignment.
			embedded := []byte(strings.Repeat(" ", offset) + value + "\n")
			fs = append(fs, base64.StdEncoding.EncodeToString(embedded), base64.RawURLEncoding.EncodeToString(embedded))
		}
		i := int(which) % len(fs)
		form := fs[i]
		if len(form) < MinToken {
			return
		}
		r := New(nil, map[string]any{"v": value})
		msg := prefix + form + suffix
		if len(form) < MinAnywhere && i < written {
			// Every whole-word occurrence lies inside a redacted span.
			msg = prefix + " " + form + " " + suffix
			spans, _ := r.find(msg)
			spans = merge(spans)
			for i := 0; i+len(form) <= len(msg); i++ {
				if msg[i:i+len(form)] != form || !wordBounded(msg, i, i+len(form)) {
					continue
				}
				covered := false
				for _, s := range spans {
					covered = covered || s.from <= i && i+len(form) <= s.to
				}
				if !covered {
					t.Fatalf("short form %q of %q at %d not redacted in %q (spans %v)", form, value, i, msg, spans)
				}
			}
			return
		}
		got := r.String(msg)
		if strings.Contains(strings.ReplaceAll(got, Redacted, "\x00"), form) {
			t.Fatalf("form %q of %q survives: %q", form, value, got)
		}
	})
}

// BenchmarkRedactor: building a Redactor of 4 MB of values (40,000
// strings), and redacting a 5 KB message with it.
func BenchmarkRedactor(b *testing.B) {
	v := map[string]any{}
	for i := range 40000 {
		v[fmt.Sprint(i)] = fmt.Sprintf("%d-value-%s", i, strings.Repeat("x", 90))
	}
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = New(nil, v)
		}
	})
	r := New(nil, v)
	msg := strings.Repeat("some error text with 17-value-xxxx aGVsbG8gd29ybGQ= ", 100)
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String(msg)
		}
	})
}
