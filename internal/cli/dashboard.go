package cli

import (
	"fmt"
	"net"
	"os/exec"
	"runtime"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/dashboard"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

func init() { register(newDashboardCommand) }

func newDashboardCommand() *cobra.Command {
	var kubeconfig, address, namespace string
	var open bool
	cmd := &cobra.Command{
		Use:   "dashboard [--kubeconfig PIVOT] [--address 127.0.0.1:0] [--open]",
		Short: "Serve the live fleet view in your browser, with your own kubeconfig identity",
		Long: `dashboard serves the fleet view on this machine: every cluster × component with its
phase, chart version and digest, Helm revision and drift mark, failing first; per
cluster its state, last heartbeat, revision of common and agent version; each cell's
message, conditions, recent events (its Helm actions name the revision they left) and
where each value of its configuration comes from (at the revision of common the
cluster runs); a switch to enable or disable the component in that cluster (previewed
by an API server dry run plus what the agent will then do, then confirmed); and the
rollout of common with Pause, Resume and Undo. It watches the pivot's Cluster objects and common (one watch, whatever the
number of browsers) and pushes each change to the page as it happens.

It reads and acts with your kubeconfig's identity: Kubernetes RBAC is the only
authority. It binds to loopback by default, prints its URL on the first line of
stdout, answers only requests addressed to that address (DNS rebinding) and refuses
actions that do not come from its own page (same origin).

Exit codes: 0 stopped (Ctrl-C); 1 error; 2 usage error.`,
		Example: `  hotplug dashboard --kubeconfig ~/.kube/pivot --open
  hotplug dashboard --address 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := kube.LoadConfig(kubeconfig)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", address)
			if err != nil {
				return fmt.Errorf("--address %s: %w", address, err)
			}
			local := dashboard.Local{Config: cfg, Listener: ln, Namespace: namespace, Log: logr.FromContextOrDiscard(cmd.Context())}
			fmt.Fprintln(cmd.OutOrStdout(), local.URL())
			if open {
				openBrowser(cmd, local.URL())
			}
			return local.Serve(cmd.Context())
		},
	}
	kubeconfigFlag(cmd, &kubeconfig)
	fl := cmd.Flags()
	fl.StringVar(&address, "address", "127.0.0.1:0", "host:port to serve on (port 0: a free one); keep it on loopback unless something in front authenticates")
	fl.BoolVar(&open, "open", false, "open the URL in your browser")
	fl.StringVar(&namespace, "namespace", rollout.DefaultNamespace, "the hub's namespace, where the revisions of common are kept (for Undo)")
	return cmd
}

// openBrowser starts the system's browser on url; failing to is only
// reported, the URL is printed anyway.
func openBrowser(cmd *cobra.Command, url string) {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	if err := exec.Command(name, url).Start(); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "could not open a browser (%v): open %s yourself\n", err, url)
	}
}
