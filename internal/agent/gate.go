package agent

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// Dependencies is what the dependency gate knows about the other
// components of the cluster.
type Dependencies struct {
	// Eff is the effective configuration; its good components carry their
	// dependsOn.
	Eff merge.Result
	// Outs are the agent's outcomes by component.
	Outs map[string]Outcome
	// Inventory maps a component to its release's namespace as the
	// inventory records it; it stands in for an outcome that this process
	// has not reconciled yet (after a restart).
	Inventory map[string]string
	// Remembered holds the last dependsOn seen for components that are not
	// good components of Eff now (removed from the configuration, or
	// failing it), so that they are still uninstalled before what they
	// depended on.
	Remembered map[string][]string
}

// Gate decides, without side effects, whether the steps planned for
// component name may run now; it returns "" when they may, otherwise why
// they wait (a bounded sentence). Steps that install or upgrade wait until
// every component that d depends on is Ready (see dependencyReady); steps
// that uninstall a component that is to have no release wait while any
// component depending on it still has a release (see hasRelease). Other
// steps (recover, repair, wait) never wait: they keep an existing release
// as it is.
func Gate(name string, d Desired, steps []Step, deps Dependencies) string {
	installs, uninstalls := false, false
	for _, s := range steps {
		switch s.Action {
		case ActionInstall, ActionUpgrade:
			installs = true
		case ActionUninstall:
			uninstalls = true
		case ActionNone, ActionRecover, ActionWait, ActionRepair:
		}
	}
	switch {
	case installs && d.Component != nil:
		var notReady []string
		for _, dep := range d.Component.DependsOn {
			if !dependencyReady(dep, deps) {
				notReady = append(notReady, dep)
			}
		}
		if len(notReady) > 0 {
			return limits.Message("waiting for "+listNames(notReady)+" to be Ready", limits.MaxMessageBytes)
		}
	case uninstalls && !d.wantsRelease():
		var holding []string
		for _, dependent := range dependents(name, deps) {
			if hasRelease(dependent, deps) {
				holding = append(holding, dependent)
			}
		}
		if len(holding) == 1 {
			return limits.Message("waiting for "+holding[0]+", which depends on it, to be uninstalled", limits.MaxMessageBytes)
		}
		if len(holding) > 1 {
			return limits.Message("waiting for "+listNames(holding)+", which depend on it, to be uninstalled", limits.MaxMessageBytes)
		}
	}
	return ""
}

// dependencyReady tells whether component name counts as Ready for the
// components that depend on it: it is an enabled good component of the
// configuration and its status is Ready for the configuration it has now
// (its release deployed at the desired chart and values, and its objects
// ready; an enabled feature switch is Ready). A disabled or failing
// component never is.
func dependencyReady(name string, deps Dependencies) bool {
	for i := range deps.Eff.Components {
		if c := &deps.Eff.Components[i]; c.Name == name {
			_, h, _ := componentStatus(c, deps.Outs[name])
			return c.Enabled && h == healthReady
		}
	}
	return false
}

// hasRelease tells whether component name still has a release, or an
// action on one in flight: from its outcome once this process reconciled
// it, else from the inventory.
func hasRelease(name string, deps Dependencies) bool {
	o, ok := deps.Outs[name]
	switch {
	case ok && o.InFlight != "":
		return true
	case ok && o.Reconciled:
		return o.Release != nil
	default:
		return deps.Inventory[name] != ""
	}
}

// dependents returns the components that depend on name, sorted: good
// components of the configuration by their dependsOn, others by what was
// remembered for them.
func dependents(name string, deps Dependencies) []string {
	var out []string
	for n, list := range dependsOnAll(deps) {
		if slices.Contains(list, name) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// neighbours returns the components whose gate may open when name's
// readiness or release changes: those it depends on (they may be waiting
// for it to be uninstalled) and those that depend on it (they may be
// waiting for it to be Ready). Sorted, without name.
func neighbours(name string, deps Dependencies) []string {
	out := dependents(name, deps)
	out = append(out, dependsOnAll(deps)[name]...)
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(n string) bool { return n == name })
}

// dependsOnAll is every known component's dependsOn: the configuration's
// for its good components, the remembered one for the others.
func dependsOnAll(deps Dependencies) map[string][]string {
	all := make(map[string][]string, len(deps.Eff.Components)+len(deps.Remembered))
	for n, list := range deps.Remembered {
		all[n] = list
	}
	for _, c := range deps.Eff.Components {
		all[c.Name] = c.DependsOn
	}
	return all
}

// listNames writes names as `a`, `a, b` or `a, b, c and 2 more`.
func listNames(names []string) string {
	const show = 3
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
}
