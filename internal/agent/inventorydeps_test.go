package agent

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestDependsOnRecord: the inventory's dependsOn annotation round-trips the
// managed components' lists (sorted, without duplicates, empty ones and
// unmanaged components left out), and any malformed or oversized value is
// refused whole, without quoting it.
func TestDependsOnRecord(t *testing.T) {
	managed := map[string]string{"thanos": "t", "mon": "m", "grafana": "g"}
	for _, tc := range []struct {
		name    string
		managed map[string]string
		deps    map[string][]string
		want    string
	}{
		{"nothing", managed, nil, ""},
		{"only empty lists", managed, map[string][]string{"mon": nil, "thanos": {}}, ""},
		{"unmanaged left out", managed, map[string][]string{"audit": {"mon"}}, ""},
		{"one", managed, map[string][]string{"thanos": {"mon"}}, `{"thanos":["mon"]}`},
		{"sorted, deduplicated", managed, map[string][]string{"thanos": {"mon", "grafana", "mon"}, "grafana": {"mon"}},
			`{"grafana":["mon"],"thanos":["grafana","mon"]}`},
	} {
		t.Run("encode "+tc.name, func(t *testing.T) {
			got, err := encodeDependsOn(tc.managed, tc.deps)
			if err != nil || got != tc.want {
				t.Fatalf("encode = %q, %v; want %q", got, err, tc.want)
			}
			back, err := decodeDependsOn(got)
			if err != nil {
				t.Fatalf("decoding what was encoded: %v", err)
			}
			again, _ := encodeDependsOn(tc.managed, back)
			if again != got {
				t.Errorf("round trip %q -> %v -> %q", got, back, again)
			}
		})
	}

	long := strings.Repeat("a", 54)
	tooMany := `{"x":[` + strings.Repeat(`"a",`, 32) + `"b"]}`
	huge := `{"x":["` + strings.Repeat("a", limits.MaxInventoryDependsOnBytes) + `"]}`
	for _, tc := range []struct {
		name, value string
		want        map[string][]string
		refusal     string // in the error; "" when accepted
	}{
		{"absent", "", map[string][]string{}, ""},
		{"valid", `{"thanos":["mon","grafana"],"mon":[]}`, map[string][]string{"thanos": {"grafana", "mon"}}, ""},
		{"null lists dropped", `{"thanos":null}`, map[string][]string{}, ""},
		{"not JSON", `thanos=mon`, nil, "not a JSON object"},
		{"a list, not an object", `["mon"]`, nil, "not a JSON object"},
		{"null", `null`, nil, "not a single JSON object"},
		{"two objects", `{"a":["b"]} {"c":["d"]}`, nil, "not a single JSON object"},
		{"names not strings", `{"thanos":[1]}`, nil, "not a JSON object"},
		{"list not a list", `{"thanos":"mon"}`, nil, "not a JSON object"},
		{"truncated", `{"thanos":["mo`, nil, "not a JSON object"},
		{"bad component name", `{"Thanos/x":["mon"]}`, nil, "component: a name that is not a DNS label"},
		{"bad dependency name", `{"thanos":["mon itoring"]}`, nil, `component "thanos": dependsOn: a name that is not a DNS label`},
		{"long name", `{"` + long + `":["mon"]}`, nil, "a name of 54 bytes, more than 53"},
		{"too many names", tooMany, nil, "33 names, more than 32"},
		{"oversized", huge, nil, "more than 131072"},
	} {
		t.Run("decode "+tc.name, func(t *testing.T) {
			got, err := decodeDependsOn(tc.value)
			if tc.refusal == "" {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("decode = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || !errors.Is(err, errDependsOnRecord) || !strings.Contains(err.Error(), tc.refusal) {
				t.Fatalf("decode = %v, %v; want a refusal with %q", got, err, tc.refusal)
			}
			if got != nil {
				t.Errorf("a refusal returned a partial record %v", got)
			}
			if len(err.Error()) > 512 || strings.Contains(err.Error(), "mon itoring") || strings.Contains(err.Error(), "Thanos/x") {
				t.Errorf("refusal quotes the value or is unbounded: %.200s", err)
			}
		})
	}

	t.Run("encode refuses what decode would", func(t *testing.T) {
		deps, managed := map[string][]string{}, map[string]string{}
		for i := range 200 {
			name := strings.Repeat("c", 40) + strings.Repeat("x", i%10) + string(rune('a'+i%26)) + string(rune('a'+i/26))
			managed[name] = "ns"
			deps[name] = make([]string, 32)
			for j := range deps[name] {
				deps[name][j] = strings.Repeat("d", 50) + string(rune('a'+j%26)) + string(rune('a'+j/26))
			}
		}
		got, err := encodeDependsOn(managed, deps)
		if err == nil || !errors.Is(err, limits.ErrExceeded) || got != "" {
			t.Fatalf("encode of %d components = %d bytes, %v; want a refusal", len(deps), len(got), err)
		}
	})
}

// TestWakeupsSeed: the dependsOn recorded before a restart stands in for
// components not seen since, never for one seen since.
func TestWakeupsSeed(t *testing.T) {
	w := newWakeups()
	w.remember("thanos", []string{"grafana"})
	w.seed(map[string][]string{"thanos": {"mon"}, "loki": {"mon"}})
	want := map[string][]string{"thanos": {"grafana"}, "loki": {"mon"}}
	if got := w.snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("remembered %v, want %v", got, want)
	}
}

// TestRecordedDependsOnMalformed: a malformed record in the inventory
// ConfigMap is logged as an error that names the ConfigMap and the
// annotation, and yields no ordering instead of failing the load.
func TestRecordedDependsOnMalformed(t *testing.T) {
	var logged []string
	log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{})
	inv := newInventory(nil, nil, nil, "kubecube-system", "c1", log, nil)
	for _, tc := range []struct {
		name, value string
		want        map[string][]string
		logs        bool
	}{
		{"absent", "", map[string][]string{}, false},
		{"valid", `{"thanos":["mon"]}`, map[string][]string{"thanos": {"mon"}}, false},
		{"malformed", `{"thanos":["mon"`, map[string][]string{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged = nil
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}}
			if tc.value != "" {
				cm.Annotations[InventoryDependsOnAnnotation] = tc.value
			}
			if got := inv.recordedDependsOn(cm); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("recorded %v, want %v", got, tc.want)
			}
			if !tc.logs {
				if len(logged) != 0 {
					t.Errorf("logged %q", logged)
				}
				return
			}
			if len(logged) != 1 || !strings.Contains(logged[0], "kubecube-system/hotplug-inventory") ||
				!strings.Contains(logged[0], InventoryDependsOnAnnotation) || !strings.Contains(logged[0], "malformed dependsOn record") {
				t.Errorf("logged %q; want one error naming the ConfigMap and the annotation", logged)
			}
		})
	}
}
