package merge

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// ErrUnknownDependency is the cause of a dependsOn that names a component
// the cluster's effective configuration does not have. It is exported so
// that a validator merging one object alone (whose names may come from the
// other object) can tell it apart from faults that hold in every merge.
var ErrUnknownDependency = errors.New("not a component of the cluster's configuration")

// Causes of the other dependsOn faults.
var (
	errSelfDependency  = errors.New("a component cannot depend on itself")
	errDependencyCycle = errors.New("dependency cycle")
)

// dependsOnField names the field in messages, the way an author finds it.
func dependsOnField(name string) string {
	return "spec.component[" + name + "].dependsOn"
}

// pickList is pick for a list: over's when it names at least one element,
// else base's. An empty list counts as unset, as it does after a round trip
// through the API (omitempty) and the mirror, so that a member and the pivot
// see the same configuration.
func pickList(base, over entry, f func(*hotplugv1.ComponentSpec) []string) ([]string, string) {
	for _, e := range []entry{over, base} {
		if e.spec != nil {
			if v := f(e.spec); len(v) > 0 {
				return v, e.object
			}
		}
	}
	return nil, base.object
}

// dependsOn is one component's effective dependsOn: sorted, without
// duplicates, and the object it came from.
type dependsOn struct {
	names  []string
	object string
}

// effectiveDependsOn picks each named component's dependsOn from own over
// common. A component that failed to merge still has its edges, so that a
// cycle through it is found and its dependents know it exists.
func effectiveDependsOn(names []string, base, over source) map[string]dependsOn {
	out := make(map[string]dependsOn, len(names))
	for _, name := range names {
		list, from := pickList(base.at(name), over.at(name), func(c *hotplugv1.ComponentSpec) []string { return c.DependsOn })
		list = slices.Clone(list)
		slices.Sort(list)
		out[name] = dependsOn{names: slices.Compact(list), object: from}
	}
	return out
}

// checkDependencies returns, for each component whose dependsOn is wrong in
// the cluster's configuration, the error that fails it: a name that is not
// a component (known holds every component name, failed ones included), a
// self-reference, or membership in a cycle, spelled out from the component
// (`a -> b -> a`, the shortest such cycle, ties broken by name). Edges to
// unknown names and self-references take no part in cycles.
func checkDependencies(deps map[string]dependsOn, known map[string]bool) map[string]*Error {
	errs := map[string]*Error{}
	fail := func(name string, err error) {
		errs[name] = &Error{Object: deps[name].object, Component: name, Field: dependsOnField(name), Err: err}
	}
	graph := map[string][]string{}
	for name, d := range deps {
		var unknown []string
		for _, dep := range d.names {
			switch {
			case dep == name:
				fail(name, fmt.Errorf("%q: %w", dep, errSelfDependency))
			case !known[dep]:
				unknown = append(unknown, fmt.Sprintf("%q", truncate(dep)))
			default:
				graph[name] = append(graph[name], dep)
			}
		}
		if _, self := errs[name]; !self && len(unknown) > 0 {
			fail(name, fmt.Errorf("%s: %w", strings.Join(unknown, ", "), ErrUnknownDependency))
		}
	}
	budget := cycleSearchBudget
	for _, scc := range cycles(graph) {
		for _, name := range scc {
			if _, bad := errs[name]; bad {
				continue
			}
			if budget <= 0 {
				fail(name, fmt.Errorf("%w through %q", errDependencyCycle, scc[0]))
				continue
			}
			cycle, cost := shortestCycle(graph, name, scc)
			budget -= cost
			fail(name, fmt.Errorf("%w: %s", errDependencyCycle, spell(cycle)))
		}
	}
	return errs
}

// maxSpelled bounds how many components of a cycle a message names.
const maxSpelled = 12

// spell writes a cycle as `a -> b -> a`; a long one names its first
// components and its length, and still ends where it began.
func spell(cycle []string) string {
	if len(cycle) <= maxSpelled+1 {
		return strings.Join(cycle, " -> ")
	}
	return fmt.Sprintf("%s -> ... (%d more) -> %s", strings.Join(cycle[:maxSpelled], " -> "), len(cycle)-1-maxSpelled, cycle[0])
}

// cycleSearchBudget bounds the edges that the searches for the cycles to
// spell out may walk in one configuration: a huge strongly connected graph
// would otherwise cost time quadratic in its size. Components past the
// budget still fail, with the cycle named by one of its components.
const cycleSearchBudget = 1 << 20

// cycles returns the strongly connected components of graph that hold a
// cycle (more than one component; self-references are not edges here),
// each sorted, in order of their first name. Tarjan's algorithm: linear in
// the graph's size.
func cycles(graph map[string][]string) [][]string {
	nodes := make([]string, 0, len(graph))
	for n := range graph {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	index, low, onStack := map[string]int{}, map[string]int{}, map[string]bool{}
	var stack []string
	var out [][]string
	var visit func(string)
	visit = func(v string) {
		index[v], low[v] = len(index), len(index)
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range graph[v] {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		if len(scc) > 1 {
			slices.Sort(scc)
			out = append(out, scc)
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// shortestCycle returns the shortest path from start back to start inside
// scc (start first and last) and the number of edges walked. Every member
// of a strongly connected component is on a cycle within it. The
// breadth-first search visits neighbours in graph order (sorted), so the
// answer is the same on every run.
func shortestCycle(graph map[string][]string, start string, scc []string) ([]string, int) {
	parent := map[string]string{}
	queue := []string{start}
	walked := 0
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range graph[cur] {
			walked++
			if next == start {
				path := []string{start}
				for n := cur; n != start; n = parent[n] {
					path = append(path, n)
				}
				path = append(path, start)
				slices.Reverse(path[1 : len(path)-1])
				return path, walked
			}
			if _, seen := parent[next]; seen {
				continue
			}
			if _, in := slices.BinarySearch(scc, next); !in {
				continue
			}
			parent[next] = cur
			queue = append(queue, next)
		}
	}
	return []string{start, start}, walked // unreachable for a member of scc
}
