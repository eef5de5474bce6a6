package merge

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func dep(name string, on ...string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, DependsOn: on}
}

func TestEffectiveDependsOn(t *testing.T) {
	tests := []struct {
		name        string
		common, own *hotplugv1.Hotplug
		wantDeps    map[string][]string // good components' DependsOn
		wantErrs    map[string]string   // component -> message
		wantCause   map[string]error
	}{
		{
			name:     "kubecube: thanos after monitoring",
			common:   hotplug("common", dep("kubecube-monitoring"), dep("kubecube-thanos", "kubecube-monitoring")),
			wantDeps: map[string][]string{"kubecube-monitoring": nil, "kubecube-thanos": {"kubecube-monitoring"}},
		},
		{
			name:     "sorted and without duplicates",
			common:   hotplug("common", dep("a", "c", "b", "c"), dep("b"), dep("c")),
			wantDeps: map[string][]string{"a": {"b", "c"}, "b": nil, "c": nil},
		},
		{
			name:     "own's list replaces common's",
			common:   hotplug("common", dep("a", "b"), dep("b"), dep("c")),
			own:      hotplug("member-1", hotplugv1.ComponentSpec{Name: "a", DependsOn: []string{"c"}}),
			wantDeps: map[string][]string{"a": {"c"}, "b": nil, "c": nil},
		},
		{
			name:     "own's empty list is unset: common's applies",
			common:   hotplug("common", dep("a", "b"), dep("b")),
			own:      hotplug("member-1", hotplugv1.ComponentSpec{Name: "a", DependsOn: []string{}}),
			wantDeps: map[string][]string{"a": {"b"}, "b": nil},
		},
		{
			name:     "a dependency on a component only own names",
			common:   hotplug("common", dep("a", "x")),
			own:      hotplug("member-1", dep("x")),
			wantDeps: map[string][]string{"a": {"x"}, "x": nil},
		},
		{
			name:     "a disabled dependency is still a component",
			common:   hotplug("common", dep("a", "b"), hotplugv1.ComponentSpec{Name: "b", Status: hotplugv1.StatusDisabled}),
			wantDeps: map[string][]string{"a": {"b"}, "b": nil},
		},
		{
			name:      "unknown name",
			common:    hotplug("common", dep("kubecube-thanos", "kubecube-monitorin", "zz"), dep("kubecube-monitoring")),
			wantDeps:  map[string][]string{"kubecube-monitoring": nil},
			wantErrs:  map[string]string{"kubecube-thanos": `hotplug "common": component "kubecube-thanos": spec.component[kubecube-thanos].dependsOn: "kubecube-monitorin", "zz": not a component of the cluster's configuration`},
			wantCause: map[string]error{"kubecube-thanos": ErrUnknownDependency},
		},
		{
			name:      "self-reference",
			common:    hotplug("common", dep("a", "a")),
			wantErrs:  map[string]string{"a": `hotplug "common": component "a": spec.component[a].dependsOn: "a": a component cannot depend on itself`},
			wantCause: map[string]error{"a": errSelfDependency},
		},
		{
			name:     "three-cycle spelled out from each member; the dependent outside it waits",
			common:   hotplug("common", dep("a", "b"), dep("b", "c"), dep("c", "a"), dep("d", "a")),
			wantDeps: map[string][]string{"d": {"a"}},
			wantErrs: map[string]string{
				"a": `hotplug "common": component "a": spec.component[a].dependsOn: dependency cycle: a -> b -> c -> a`,
				"b": `hotplug "common": component "b": spec.component[b].dependsOn: dependency cycle: b -> c -> a -> b`,
				"c": `hotplug "common": component "c": spec.component[c].dependsOn: dependency cycle: c -> a -> b -> c`,
			},
			wantCause: map[string]error{"a": errDependencyCycle},
		},
		{
			name:   "the shortest cycle is named",
			common: hotplug("common", dep("a", "b", "c"), dep("b", "c"), dep("c", "a")),
			wantErrs: map[string]string{
				"a": `dependency cycle: a -> c -> a`,
				"b": `dependency cycle: b -> c -> a -> b`,
				"c": `dependency cycle: c -> a -> c`,
			},
		},
		{
			name:   "a cycle across objects blames each list's object",
			common: hotplug("common", dep("a", "b"), dep("b")),
			own:    hotplug("member-1", hotplugv1.ComponentSpec{Name: "b", DependsOn: []string{"a"}}),
			wantErrs: map[string]string{
				"a": `hotplug "common": component "a": spec.component[a].dependsOn: dependency cycle: a -> b -> a`,
				"b": `hotplug "member-1": component "b": spec.component[b].dependsOn: dependency cycle: b -> a -> b`,
			},
		},
		{
			name:     "own breaks common's cycle",
			common:   hotplug("common", dep("a", "b"), dep("b", "a")),
			own:      hotplug("member-1", hotplugv1.ComponentSpec{Name: "b", DependsOn: []string{"c"}}, dep("c")),
			wantDeps: map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil},
		},
		{
			name:     "a component failing for another reason keeps its first error and is known",
			common:   hotplug("common", hotplugv1.ComponentSpec{Name: "a", Env: "- x\n", DependsOn: []string{"a"}}, dep("b", "a")),
			wantDeps: map[string][]string{"b": {"a"}},
			wantErrs: map[string]string{"a": `component "a": env:`},
		},
		{
			name:     "a duplicated component is known but has no edges",
			common:   hotplug("common", dep("a", "b"), dep("a", "b"), dep("b", "a")),
			wantDeps: map[string][]string{"b": {"a"}},
			wantErrs: map[string]string{"a": "listed more than once"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Effective("member-1", tc.common, tc.own)
			gotDeps := map[string][]string{}
			for _, c := range res.Components {
				gotDeps[c.Name] = c.DependsOn
			}
			if tc.wantDeps == nil {
				tc.wantDeps = map[string][]string{}
			}
			if !reflect.DeepEqual(gotDeps, tc.wantDeps) {
				t.Errorf("DependsOn = %v, want %v", gotDeps, tc.wantDeps)
			}
			gotErrs := map[string]string{}
			for _, e := range res.Errors {
				gotErrs[e.Component] = e.Error()
				if cause := tc.wantCause[e.Component]; cause != nil && !errors.Is(e, cause) {
					t.Errorf("%s: cause of %v is not %v", e.Component, e, cause)
				}
			}
			if len(gotErrs) != len(tc.wantErrs) {
				t.Errorf("errors = %v, want %d", gotErrs, len(tc.wantErrs))
			}
			for name, want := range tc.wantErrs {
				if !strings.Contains(gotErrs[name], want) {
					t.Errorf("error of %s = %q, want it to contain %q", name, gotErrs[name], want)
				}
			}
		})
	}
}

// TestDependsOnDeterministic: the same configuration gives the same
// messages, whatever the order of its components.
func TestDependsOnDeterministic(t *testing.T) {
	specs := []hotplugv1.ComponentSpec{dep("a", "b", "d"), dep("b", "c"), dep("c", "a", "d"), dep("d", "b"), dep("e", "a", "nope")}
	want := fmt.Sprint(Effective("x", hotplug("common", specs...), nil).Errors)
	for i := range 20 {
		shuffled := append([]hotplugv1.ComponentSpec(nil), specs...)
		for j := range shuffled {
			k := (i*7 + j*3) % len(shuffled)
			shuffled[j], shuffled[k] = shuffled[k], shuffled[j]
		}
		if got := fmt.Sprint(Effective("x", hotplug("common", shuffled...), nil).Errors); got != want {
			t.Fatalf("order %d: %s, want %s", i, got, want)
		}
	}
}

// TestDependsOnLargeCycleBounded: a ring of many components fails every
// member, spelled out until the search budget is spent, without quadratic
// work running away.
func TestDependsOnLargeCycleBounded(t *testing.T) {
	const n = 3000
	specs := make([]hotplugv1.ComponentSpec, n)
	for i := range specs {
		specs[i] = dep(fmt.Sprintf("c%04d", i), fmt.Sprintf("c%04d", (i+1)%n))
	}
	res := Effective("x", hotplug("common", specs...), nil)
	if len(res.Components) != 0 || len(res.Errors) != n {
		t.Fatalf("%d good, %d errors; want 0 and %d", len(res.Components), len(res.Errors), n)
	}
	first := res.Errors[0].Error()
	if !strings.Contains(first, "c0000 -> c0001 -> c0002") || !strings.HasSuffix(first, "(2988 more) -> c0000") || len(first) > 300 {
		t.Errorf("first error %q does not spell out the cycle in short", first)
	}
	last := res.Errors[n-1].Error()
	if !errors.Is(res.Errors[n-1], errDependencyCycle) || !strings.Contains(last, `through "c0000"`) {
		t.Errorf("last error %q", last)
	}
}

// FuzzDependsOn builds a graph of up to 8 components from data (each byte
// an edge) and checks the contract: good components depend only on known
// other components, the good ones form no cycle, every cycle message is a
// real cycle of the graph from the failing component, and the result does
// not depend on the order of the components.
func FuzzDependsOn(f *testing.F) {
	f.Add([]byte{0x01, 0x12, 0x20}, uint8(3))
	f.Add([]byte{0x00}, uint8(1))
	f.Add([]byte{0x01, 0x10, 0x23, 0x34, 0x42, 0x19}, uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		n = n%8 + 1
		name := func(i byte) string { return string(rune('a' + i)) }
		edges := map[string][]string{}
		specs := make([]hotplugv1.ComponentSpec, n)
		for i := range specs {
			specs[i] = dep(name(byte(i)))
		}
		for _, b := range data {
			from, to := b>>4%n, b&0xf // to may be past n: an unknown name
			specs[from].DependsOn = append(specs[from].DependsOn, name(to))
			edges[name(from)] = append(edges[name(from)], name(to))
		}
		res := Effective("x", hotplug("common", specs...), nil)
		good := map[string][]string{}
		for _, c := range res.Components {
			good[c.Name] = c.DependsOn
		}
		for c, deps := range good {
			for _, d := range deps {
				if d == c || d[0]-'a' >= n {
					t.Fatalf("good %s depends on %s", c, d)
				}
			}
		}
		// The good subgraph is acyclic: peel components without good deps.
		left := len(good)
		done := map[string]bool{}
		for progress := true; progress; {
			progress = false
			for c, deps := range good {
				if done[c] {
					continue
				}
				ready := true
				for _, d := range deps {
					if _, isGood := good[d]; isGood && !done[d] {
						ready = false
					}
				}
				if ready {
					done[c], progress = true, true
					left--
				}
			}
		}
		if left != 0 {
			t.Fatalf("good components form a cycle: %v", good)
		}
		for _, e := range res.Errors {
			msg := e.Err.Error()
			i := strings.Index(msg, "dependency cycle: ")
			if i < 0 {
				continue
			}
			hops := strings.Split(msg[i+len("dependency cycle: "):], " -> ")
			if hops[0] != e.Component || hops[len(hops)-1] != e.Component {
				t.Fatalf("cycle of %s: %q", e.Component, msg)
			}
			for j := 0; j+1 < len(hops); j++ {
				if !slices.Contains(edges[hops[j]], hops[j+1]) {
					t.Fatalf("cycle of %s: %q: no edge %s -> %s", e.Component, msg, hops[j], hops[j+1])
				}
			}
		}
		slices.Reverse(specs)
		if a, b := fmt.Sprint(res.Errors), fmt.Sprint(Effective("x", hotplug("common", specs...), nil).Errors); a != b {
			t.Fatalf("order matters: %s vs %s", a, b)
		}
	})
}
