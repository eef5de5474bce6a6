package agent

import (
	"errors"
	"fmt"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// loadPackage loads the package of a component that wants a release. A
// chart by source cannot be pulled yet: it is a package error, so the
// component fails alone and its release is left as it is.
func (r *Reconciler) loadPackage(c *merge.Component) (*chartpkg.Package, error) {
	if c.Chart != nil {
		return nil, chartpkg.SourceNotSupported(c.Name, "this agent")
	}
	return r.charts.Load(c.PkgName)
}

// packageErrorMessage is the event text of a package error: the error
// names the component itself when it is about a chart source.
func packageErrorMessage(component string, err error) string {
	if errors.Is(err, chartpkg.ErrSourceNotSupported) {
		return err.Error()
	}
	return fmt.Sprintf("component %s: %v", component, err)
}
