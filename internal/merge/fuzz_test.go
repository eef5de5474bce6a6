package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func FuzzDeepMerge(f *testing.F) {
	f.Add(`{"a":1,"m":{"x":1,"l":[1,2]}}`, `{"a":2,"m":{"x":null,"y":{"z":true}},"l":[]}`)
	f.Add(`{"a":{"b":{"c":null}}}`, `{"a":"s"}`)
	f.Add(`{}`, `{"n":null,"m":{"n":null}}`)
	f.Add(`{"a":[{"b":1}]}`, `{"a":{"b":2}}`)
	f.Fuzz(func(t *testing.T, baseJSON, overJSON string) {
		var base, over map[string]any
		if json.Unmarshal([]byte(baseJSON), &base) != nil || json.Unmarshal([]byte(overJSON), &over) != nil {
			t.Skip()
		}
		baseBefore, overBefore := snapshot(t, base), snapshot(t, over)
		got := DeepMerge(base, over)
		if got == nil {
			t.Fatal("DeepMerge returned nil")
		}
		for k, v := range over {
			switch v.(type) {
			case nil:
				if got[k] != nil {
					t.Errorf("key %q is nil in over but %v in the result", k, got[k])
				}
			case map[string]any:
				if _, ok := got[k].(map[string]any); !ok {
					t.Errorf("key %q is a map in over but %T in the result", k, got[k])
				}
			default:
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("key %q = %v, want over's %v", k, got[k], v)
				}
			}
		}
		for k, v := range base {
			if _, inOver := over[k]; !inOver && !reflect.DeepEqual(got[k], v) {
				t.Errorf("key %q = %v, want base's %v", k, got[k], v)
			}
		}
		scribble(got)
		if snapshot(t, base) != baseBefore || snapshot(t, over) != overBefore {
			t.Error("an input changed, or shares a map or list with the result")
		}
	})
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "a: 1", "clustername: \"{{.cluster}}\"", "- a", "{{.nope}}", `{{ env "HOME" }}`,
		"{{range 10}}x{{end}}", `{{printf "%0999999d" 1}}`, `{{$x := "ab"}}{{$x = print $x $x}}{{$x}}`,
		`{{js (js "\\\\")}}`, `{{printf "%[1]v%[1]q" .cluster}}`, "a:\n  b: [1, {c: d}]\n", `{{define "a"}}{{end}}`,
	} {
		f.Add("pivot-cluster", s)
	}
	f.Fuzz(func(t *testing.T, cluster, env string) {
		vals, err := Render("obj", "comp", cluster, env)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Object != "obj" || e.Component != "comp" || e.Field != "env" || e.Line < 0 || e.Err == nil {
				t.Fatalf("malformed Error %+v", e)
			}
			if vals != nil {
				t.Fatal("values returned with an error")
			}
		} else if vals == nil {
			t.Fatal("nil values without an error")
		}
		out, err := execute(context.Background(), limits.Default(), cluster, env)
		if err == nil && len(out) > maxRenderedBytes {
			t.Fatalf("rendered %d bytes, cap is %d", len(out), maxRenderedBytes)
		}
	})
}

// FuzzPrintfBound checks the premise of the metered printf: the bound it
// computes before formatting is never below what fmt then produces.
func FuzzPrintfBound(f *testing.F) {
	f.Add("%v", "abc", int64(1))
	f.Add("% #x %q %+q %#v %U", "\xff\x00<'\"&", int64(-1))
	f.Add("%[2]*[1]d %-20.10s %e %08.3f", "x", int64(1<<40))
	f.Add("%!%%%z %d %d %d", "", int64(0))
	f.Fuzz(func(t *testing.T, format, s string, n int64) {
		if len(format) > 256 || len(s) > 256 {
			t.Skip()
		}
		m := &meter{left: maxBound}
		for _, args := range [][]any{{s, n}, {n, s, 1.5, true, nil}, {map[string]any{"cluster": s}}} {
			_, widths, err := scanFormat(format)
			if err != nil || widths > 1000 {
				continue // refused, or too slow to format in a fuzz loop
			}
			before := m.left
			out, err := m.printf(format, args...)
			if err != nil {
				t.Fatalf("printf refused %q within an unlimited budget: %v", format, err)
			}
			if want := fmt.Sprintf(format, args...); out != want {
				t.Fatalf("printf(%q) = %q, fmt gives %q", format, out, want)
			}
			if used := before - m.left; used != len(out) {
				t.Fatalf("charged %d bytes for %d", used, len(out))
			}
			checkBound(t, format, args, len(out))
		}
	})
}

// checkBound recomputes printf's bound the way meter.printf does.
func checkBound(t *testing.T, format string, args []any, got int) {
	t.Helper()
	verbs, widths, _ := scanFormat(format)
	largest := 0
	for _, a := range args {
		largest = max(largest, sizeOf(a))
	}
	bound := satAdd(len(format), satMul(verbs, satAdd(satMul(escapeFactor, largest), fixedOverhead)))
	bound = satAdd(bound, satMul(widths, paddedParts(args)))
	bound = satAdd(bound, argsBound(args, escapeFactor))
	if got > bound {
		t.Fatalf("printf(%q, %v) made %d bytes, bound was %d", format, args, got, bound)
	}
}

// FuzzChart: whatever a chart holds, the merge answers without panicking;
// a refusal names the component and a field below its chart, and an
// accepted chart has a repository of an allowed scheme without traversal
// and a chart name that is one path element.
func FuzzChart(f *testing.F) {
	f.Add("oci://harbor.example.com/charts", "logagent", "1.0.1", "", "1.0.2")
	f.Add("https://charts.example.com/a/%2e%2e/b", "a/b", ">=1.0.0 <2.0.0", "sha256:", "")
	f.Add("file:///etc", "..", "latest", "sha1:00", "~1.0")
	f.Add(`http://u:p@h\x/..`, "Log_agent", "*", "sha256:"+strings.Repeat("a", 64), "")
	f.Fuzz(func(t *testing.T, repository, name, version, digest, ownVersion string) {
		common := hotplug("common", hotplugv1.ComponentSpec{Name: "web", Status: hotplugv1.StatusEnabled,
			Chart: &hotplugv1.ChartSource{Repository: repository, Name: name, Version: version, Digest: digest}})
		var own *hotplugv1.Hotplug
		if ownVersion != "" {
			own = hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", Chart: &hotplugv1.ChartSource{Version: ownVersion}})
		}
		res := Effective("member-1", common, own)
		for _, e := range res.Errors {
			if e.Component != "web" || !strings.HasPrefix(e.Field, "spec.component[0].chart") || e.Err == nil {
				t.Fatalf("malformed Error %+v", e)
			}
		}
		for _, c := range res.Components {
			ch := c.Chart
			if ch == nil {
				t.Fatal("an accepted component lost its chart")
			}
			if !strings.HasPrefix(ch.Repository, "oci://") && !strings.HasPrefix(ch.Repository, "https://") && !strings.HasPrefix(ch.Repository, "http://") ||
				strings.ContainsAny(ch.Repository, "\\@?#") || strings.Contains(ch.Repository, "/../") || strings.HasSuffix(ch.Repository, "/..") {
				t.Fatalf("accepted repository %q", ch.Repository)
			}
			if ch.Name == "" || strings.ContainsAny(ch.Name, "/\\") || strings.Contains(ch.Name, "..") || ch.Version == "" {
				t.Fatalf("accepted chart %+v", ch)
			}
		}
	})
}
