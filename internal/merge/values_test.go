package merge

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/limits"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		env  string
		want map[string]any
	}{
		{"empty", "", map[string]any{}},
		{"whitespace", " \n\t\n", map[string]any{}},
		{"comments only", "# nothing here\n", map[string]any{}},
		{"explicit null", "~\n", map[string]any{}},
		{"renders to whitespace", `{{if eq .cluster "other"}}a: 1{{end}}`, map[string]any{}},
		{"cluster substituted", "clustername: \"{{.cluster}}\"\n", map[string]any{"clustername": "pivot-cluster"}},
		{"cluster in a key", "{{.cluster}}:\n  x: 1\n", map[string]any{"pivot-cluster": map[string]any{"x": 1.0}}},
		{
			"json-compatible types",
			"i: 1\nf: 1.5\nb: true\nyes: yes\nnil: null\ns: \"1\"\nl: [1, a]\nm: {k: v}\n",
			map[string]any{"i": 1.0, "f": 1.5, "b": true, "true": true, "nil": nil, "s": "1", "l": []any{1.0, "a"}, "m": map[string]any{"k": "v"}},
		},
		// YAML 1.1, as Helm reads it: y/n/yes/no/on/off are booleans, and
		// non-string keys become strings.
		{"non-string keys become strings", "1: a\ntrue: b\nn: c\n", map[string]any{"1": "a", "true": "b", "false": "c"}},
		{"anchors expand", "a: &x {b: 1}\nc: *x\n", map[string]any{"a": map[string]any{"b": 1.0}, "c": map[string]any{"b": 1.0}}},
		{"printf builtin", `name: {{printf "%s-prom" .cluster}}`, map[string]any{"name": "pivot-cluster-prom"}},
		{"if/else builtin", "{{if eq .cluster \"pivot-cluster\"}}pivot: true{{else}}pivot: false{{end}}\n", map[string]any{"pivot": true}},
		{"with and variables", "{{with $c := .cluster}}{{$n := len $c}}length: {{$n}}{{end}}\n", map[string]any{"length": 13.0}},
		{"index builtin", `c: {{index . "cluster"}}`, map[string]any{"c": "pivot-cluster"}},
		{"comment action", "{{/* why */}}a: 1\n", map[string]any{"a": 1.0}},
		{"trim markers", "a: {{- \" x\" -}}\n", map[string]any{"a": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render("common", "c", "pivot-cluster", tt.env)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Render = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		line     int
		contains string
		is       error
	}{
		{"malformed yaml", "a: 1\nb:\n  c: [1\n", 3, "did not find expected", nil},
		{"bad indentation", "a:\n  b: 1\n c: 2\n", 2, "yaml: line 2", nil},
		{"tab indentation", "a: 1\n\tb: 2\n", 2, "tab character", nil},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", 3, `key "a" already set`, nil},
		{"list", "- a\n- b\n", 0, "must be a YAML mapping, not a list", errNotMapping},
		{"scalar", "just text\n", 0, "must be a YAML mapping, not a scalar (string)", errNotMapping},
		{"number", "42", 0, "must be a YAML mapping", errNotMapping},
		{"template syntax", "a: 1\nb: 2\nc: {{.cluster\n", 3, "unclosed action", nil},
		{"env function", "a: 1\nhome: {{ env \"HOME\" }}\n", 2, `function "env" not defined`, nil},
		{"readFile function", "x: {{ readFile \"/etc/passwd\" }}", 1, `function "readFile" not defined`, nil},
		{"exec function", "\n\nx: {{ exec \"id\" }}", 3, `function "exec" not defined`, nil},
		{"missing key", "a: 1\nb: {{.nope}}\n", 2, `map has no entry for key "nope"`, nil},
		{"range over int", "a: 1\n{{range 1000000000}}{{end}}", 2, "range", errForbidden},
		{"range over data", "{{range .}}x{{end}}", 1, "range", errForbidden},
		{"nested range", "{{if true}}\n{{range 3}}{{end}}{{end}}", 2, "range", errForbidden},
		{"define", `{{define "x"}}{{template "x"}}{{template "x"}}{{end}}a: 1`, 0, "define/block", errForbidden},
		{"block", `{{block "x" .}}a: 1{{end}}`, 0, "define/block", errForbidden},
		{"template self", `{{template "env"}}`, 1, "template", errForbidden},
		{"star width", `a: {{printf "%*d" 1000000 1}}`, 1, "'*'", errForbidden},
		{"doubling variable", "{{$x := printf \"%0100000d\" 0}}" + strings.Repeat("{{$x = print $x $x}}", 20), 1, "at most", errTooLarge},
		{"nested js", "{{js (" + strings.Repeat("js (", 30) + `"\\\\\\\\"` + strings.Repeat(")", 31) + "}}", 1, "at most", errTooLarge},
		{"repeated operand", "{{$x := printf \"%0900000d\" 0}}{{print $x $x}}", 1, "at most", errTooLarge},
		{"printf repeat index", "{{$x := printf \"%0500000d\" 0}}{{printf \"%[1]v%[1]v%[1]v\" $x}}", 1, "at most", errTooLarge},
		{"output cap", "{{$x := printf \"%0900000d\" 0}}{{$x}}{{$x}}{{$x}}{{$x}}{{$x}}", 0, "rendered env is more than", errTooLarge},
		{"alias bomb", aliasBomb(), 0, "alias expansion", errTooLarge},
		{"anchored large string", wideAliasBomb(), 0, "alias expansion", errTooLarge},
		{"two documents", "---\n---\nreplicas: 3\n", 0, "more than one YAML document", limits.ErrMultiDocument},
		{"document after mapping", "a: 1\n---\nb: 2\n", 0, "more than one YAML document", limits.ErrMultiDocument},
		{"eq on large strings", "{{$x := printf \"%0900000d\" 0}}" + strings.Repeat("{{if eq $x $x}}{{end}}", 40), 1, "template work", errTooLarge},
		{"slice of large strings", "{{$x := printf \"%0900000d\" 0}}" + strings.Repeat("{{slice $x 1}}", 40), 0, "", errTooLarge},
		{"call", "{{call .cluster}}", 1, "call", errForbidden},
		// The libraries' own limits, pinned so that an upgrade losing them shows.
		{"deep yaml nesting", strings.Repeat("[", 200000), 0, "max depth", nil},
		{"deep template expression", "{{" + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "}}", 1, "max expression depth", nil},
		{"input cap", "a: " + strings.Repeat("x", maxEnvBytes), 0, "more than", errTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render("pivot-cluster", "kubecube-monitoring", "pivot-cluster", tt.env)
			if err == nil {
				t.Fatalf("Render = %v, want an error", got)
			}
			if got != nil {
				t.Errorf("Render returned values %v with its error", got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			if e.Object != "pivot-cluster" || e.Component != "kubecube-monitoring" || e.Field != "env" {
				t.Errorf("Error names %q/%q/%q, want pivot-cluster/kubecube-monitoring/env", e.Object, e.Component, e.Field)
			}
			if e.Line != tt.line {
				t.Errorf("Line = %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("message %q lacks %q", err, tt.contains)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{Object: "pivot-cluster", Component: "kubecube-monitoring", Field: "env", Line: 3, Err: cause},
			`hotplug "pivot-cluster": component "kubecube-monitoring": env: line 3: boom`},
		{&Error{Object: "common", Component: "logseer", Field: "namespace", Err: cause},
			`hotplug "common": component "logseer": namespace: boom`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.e, cause) {
			t.Errorf("errors.Is does not reach the cause")
		}
	}
}

// The memory a hostile env can make the renderer hold stays near the caps,
// not near what the template asks for (here 2^30 times 100 kB).
func TestRenderBoundsAllocation(t *testing.T) {
	env := "{{$x := printf \"%0100000d\" 0}}" + strings.Repeat("{{$x = print $x $x}}", 30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Render("o", "c", "x", env)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("Render error = %v, want a size limit", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8*maxFuncBytes {
		t.Errorf("a doubling template allocated %d bytes, want under %d", got, 8*maxFuncBytes)
	}
}

// wideAliasBomb is the case: one 100 kB string anchored and
// referenced 2,000 times in a ~120 kB text (200 MB once expanded).
func wideAliasBomb() string {
	var b strings.Builder
	b.WriteString("big: &big " + strings.Repeat("x", 100_000) + "\nrefs:\n")
	for range 2000 {
		b.WriteString("- *big\n")
	}
	return b.String()
}

// aliasBomb is the YAML "billion laughs": ten levels of ten aliases each.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}
