package chartpkg

import (
	"errors"
	"fmt"
)

// ErrSourceNotSupported is the cause of a component that names its chart
// by source (`chart`) where only packages in the chart directory can be
// loaded: pulling from registries is not wired in yet. Match it with
// errors.Is.
var ErrSourceNotSupported = errors.New("chart sources (chart.repository) are not supported")

// SourceNotSupported is the error for component, whose effective
// configuration names a chart by source, as who ("this agent", "hotplug
// render") says it: "component <name>: chart sources (chart.repository)
// are not supported by <who> yet; use pkgName".
func SourceNotSupported(component, who string) error {
	return fmt.Errorf("component %s: %w by %s yet; use pkgName", component, ErrSourceNotSupported, who)
}
