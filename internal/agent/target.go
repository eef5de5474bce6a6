package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// Target fingerprints one component's effective configuration (namespace,
// package or chart, switch, values). Equal configurations give equal targets
// (encoding/json sorts map keys); it is how the status knows whether an
// outcome was computed for the configuration it is describing.
func Target(c *merge.Component) string {
	// Chart is omitted when unset so that a pkgName component's target
	// stays what it was before charts by source existed.
	data, err := json.Marshal(struct {
		Namespace, PkgName string
		Enabled            bool
		Values             map[string]any
		Chart              *hotplugv1.ChartSource `json:",omitempty"`
	}{c.Namespace, c.PkgName, c.Enabled, c.Values, c.Chart})
	if err != nil {
		// Values come from YAML through JSON, so they always marshal; an
		// unmarshalable value makes the target never match, which only
		// delays "running" until the next reconcile.
		return "unmarshalable"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
