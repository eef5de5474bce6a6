package merge

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"text/template"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// The metered builtins must give what text/template's own builtins give;
// each expression runs both ways and the outputs are compared.
func TestMeteredBuiltinsMatchTextTemplate(t *testing.T) {
	exprs := []string{
		`{{eq .cluster "pivot-cluster"}}`, `{{eq .cluster "a" "b" "pivot-cluster"}}`, `{{ne .cluster "x"}}`,
		`{{eq 1 1}}`, `{{eq 1 2}}`, `{{eq 1.5 1.5}}`, `{{eq true true}}`, `{{eq true false}}`,
		`{{lt 1 2}}`, `{{le 2 2}}`, `{{gt "b" "a"}}`, `{{ge 1.0 2.0}}`, `{{lt -1 2}}`,
		`{{len .cluster}}`, `{{len "abc"}}`, `{{index . "cluster"}}`, `{{index .cluster 0}}`,
		`{{slice .cluster 1 3}}`, `{{slice .cluster 2}}`, `{{slice .cluster}}`,
		`{{if and (eq .cluster "pivot-cluster") (gt (len .cluster) 3)}}yes{{else}}no{{end}}`,
		`{{printf "%s-%d" .cluster 3}}`, `{{print .cluster 1 2}}`,
	}
	data := map[string]any{"cluster": "pivot-cluster"}
	for _, e := range exprs {
		var want strings.Builder
		if err := template.Must(template.New("x").Parse(e)).Execute(&want, data); err != nil {
			t.Fatalf("%s: text/template: %v", e, err)
		}
		got, err := execute(context.Background(), limits.Default(), "pivot-cluster", e)
		if err != nil {
			t.Fatalf("%s: sandbox: %v", e, err)
		}
		if got != want.String() {
			t.Errorf("%s = %q, text/template gives %q", e, got, want.String())
		}
	}
	// Errors where text/template errs too.
	for _, e := range []string{`{{lt true false}}`, `{{eq 1 "a"}}`, `{{index .cluster 99}}`, `{{slice .cluster 5 2}}`, `{{len 3}}`} {
		if err := template.Must(template.New("x").Parse(e)).Execute(&strings.Builder{}, data); err == nil {
			t.Fatalf("%s: text/template accepts it; the case is wrong", e)
		}
		if _, err := execute(context.Background(), limits.Default(), "pivot-cluster", e); err == nil {
			t.Errorf("%s: sandbox accepts what text/template refuses", e)
		}
	}
}

// A template stops at the caller's deadline, not only at its own timeout.
func TestTemplateHonoursDeadline(t *testing.T) {
	env := "{{$x := printf \"%0900000d\" 0}}" + strings.Repeat("{{if eq $x $x}}{{end}}", 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	lim := limits.Default()
	lim.TemplateWork = 1 << 40
	_, err := execute(ctx, lim, "c", env)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("execute with a cancelled context = %v, want context.Canceled", err)
	}
	lim.TemplateTimeout = time.Nanosecond
	_, err = execute(context.Background(), lim, "c", env)
	if err == nil || !strings.Contains(err.Error(), limits.FlagTemplateTimeout) {
		t.Fatalf("execute past its timeout = %v, want an error naming --%s", err, limits.FlagTemplateTimeout)
	}
}

// The case: 120 kB of env naming one 100 kB anchor 2,000 times took
// 5.5 s and 1.6 GB; it must be refused before anything is expanded.
func TestWideAliasBombIsCheap(t *testing.T) {
	env := wideAliasBomb()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Render("common", "kubecube-monitoring", "pivot-cluster", env)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(), limits.FlagExpandedYAMLBytes) {
		t.Fatalf("Render = %v, want a limit naming --%s", err, limits.FlagExpandedYAMLBytes)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused in %v, %d KiB allocated", took, alloc>>10)
	if alloc > 64<<20 {
		t.Errorf("refusing the bomb allocated %d MiB, want under 64 MiB", alloc>>20)
	}
}

// Merged values are measured too: two envs under the YAML limit each can
// still merge into something over the values limit.
func TestValuesLimit(t *testing.T) {
	lim := limits.Default()
	lim.ValuesBytes = 1000
	common := hotplug("common", componentWithEnv("a", "x: "+strings.Repeat("a", 600)))
	own := hotplug("c1", componentWithEnv("a", "y: "+strings.Repeat("b", 600)))
	res := EffectiveWithin(context.Background(), lim, "c1", common, own)
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], limits.ErrExceeded) || !strings.Contains(res.Errors[0].Error(), limits.FlagValuesBytes) {
		t.Fatalf("errors = %v, want one naming --%s", res.Errors, limits.FlagValuesBytes)
	}
	lim.ValuesBytes = 2000
	if res := EffectiveWithin(context.Background(), lim, "c1", common, own); len(res.Errors) != 0 {
		t.Fatalf("errors under the limit: %v", res.Errors)
	}
}

func componentWithEnv(name, env string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Env: env}
}

// driftRepair merges like every other element: the cluster's wins when set.
func TestDriftRepairMerges(t *testing.T) {
	off, on := false, true
	for _, tc := range []struct {
		name         string
		common, own  *bool
		wantSkipping bool
	}{
		{"unset anywhere repairs", nil, nil, false},
		{"common turns it off", &off, nil, true},
		{"the cluster turns it back on", &off, &on, false},
		{"the cluster turns it off", &on, &off, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := hotplugv1.ComponentSpec{Name: "a", DriftRepair: tc.common}
			o := hotplugv1.ComponentSpec{Name: "a", DriftRepair: tc.own}
			res := Effective("c1", hotplug("common", c), hotplug("c1", o))
			if len(res.Components) != 1 || res.Components[0].SkipDriftRepair != tc.wantSkipping {
				t.Fatalf("components = %+v, want SkipDriftRepair %v", res.Components, tc.wantSkipping)
			}
		})
	}
}
