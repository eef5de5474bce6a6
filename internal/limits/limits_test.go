package limits

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

func TestCheckYAML(t *testing.T) {
	wide := "big: &big " + strings.Repeat("x", 1000) + "\nrefs: [" + strings.TrimSuffix(strings.Repeat("*big, ", 200), ", ") + "]\n"
	tests := []struct {
		name string
		text string
		max  int
		is   error
	}{
		{"empty", "", 100, nil},
		{"mapping", "a: 1\nb: [1, 2]\n", 100, nil},
		{"explicit start", "---\na: 1\n", 100, nil},
		{"anchor used once", "a: &x {b: 1}\nc: *x\n", 100, nil},
		{"wide bomb", wide, 100_000, ErrExceeded},
		{"wide bomb under a high limit", wide, 1 << 20, nil},
		{"two documents", "---\n---\nreplicas: 3\n", 1 << 20, ErrMultiDocument},
		{"mapping then document", "a: 1\n---\nb: 2\n", 1 << 20, ErrMultiDocument},
		{"plain text over the limit", "a: " + strings.Repeat("x", 200), 100, ErrExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckYAML([]byte(tt.text), tt.max, FlagExpandedYAMLBytes)
			if tt.is == nil && err != nil {
				t.Fatalf("CheckYAML = %v, want nil", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("CheckYAML = %v, want %v", err, tt.is)
			}
		})
	}
}

// The measure must never be below what a decoder really expands to, or a
// bomb could pass; sigs.k8s.io/yaml's JSON output is the reference.
func TestCheckYAMLBoundsDecodedSize(t *testing.T) {
	for _, text := range []string{
		"a: &a [1, 2, 3]\nb: [*a, *a, *a]\n",
		"x: &x {k: vvvvvvvvvv}\ny: {a: *x, b: *x}\n",
		"l: &l " + strings.Repeat("z", 300) + "\nm: [*l, *l, *l, *l]\n",
	} {
		js, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckYAML([]byte(text), len(js)-1, "f"); !errors.Is(err, ErrExceeded) {
			t.Errorf("%q: JSON is %d bytes but a limit of %d passes (%v)", text, len(js), len(js)-1, err)
		}
	}
}

func TestMessage(t *testing.T) {
	if got := Message("short", 10); got != "short" {
		t.Errorf("Message(short) = %q", got)
	}
	long := strings.Repeat("é", 600) // 1200 bytes
	got := Message(long, 1024)
	if len(got) > 1024 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("Message cut to %d bytes, valid=%v", len(got), utf8.ValidString(got))
	}
	if got := Message(long, 2); got != "" {
		t.Errorf("Message(n=2) = %q, want empty", got)
	}
}

func TestDefaultsAndFlags(t *testing.T) {
	d := Default()
	if d.EnvBytes != DefaultEnvBytes || d.ChartBytes != DefaultChartBytes || d.TemplateTimeout != DefaultTemplateTimeout {
		t.Fatalf("Default() = %+v", d)
	}
	if got := (Limits{EnvBytes: 5}).Normalize(); got.EnvBytes != 5 || got.ChartFiles != DefaultChartFiles {
		t.Fatalf("Normalize keeps set fields and fills the rest: %+v", got)
	}
}

func FuzzCheckYAML(f *testing.F) {
	for _, s := range []string{"a: 1", "a: &a [1]\nb: [*a, *a]", "---\n---\n", "&a [*a]", "a: *b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		const max = 4096
		if err := CheckYAML([]byte(text), max, "f"); err != nil {
			return
		}
		// Whatever passes must decode to JSON within a small factor of the
		// limit (escaping may double a string).
		js, err := yaml.YAMLToJSON([]byte(text))
		if err == nil && len(js) > 8*max {
			t.Fatalf("passed the check but expands to %d bytes", len(js))
		}
	})
}
