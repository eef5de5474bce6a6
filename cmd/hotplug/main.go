// Command hotplug switches cluster add-ons on and off across a fleet of
// Kubernetes clusters; see `hotplug --help`.
package main

import (
	"os"

	"github.com/kubecube-io/hotplug/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
