package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/output"
)

type statusFlags struct {
	kubeconfig string
	check      bool
}

func init() { register(newStatusCommand) }

func newStatusCommand() *cobra.Command {
	f := statusFlags{}
	cmd := &cobra.Command{
		Use:   "status [--kubeconfig PIVOT] [--check] [-o table|yaml|json]",
		Short: "Show the fleet matrix: every cluster × component, from the pivot's Cluster objects",
		Long: `status reads the Cluster objects of the management (pivot) cluster, where each
cluster's agent reports its state, and prints one row per cluster and component:
the cluster's state, whether the component is enabled, whether it is ready (with the
agent's message), its chart version and its Helm release revision.

Exit codes: 0 ok; 1 error, or with --check any cluster not 'normal' or any
component not ready (each problem is listed on stderr); 2 usage error.`,
		Example: `  hotplug status --kubeconfig ~/.kube/pivot
  hotplug status --check -o json | jq '.[] | select(.ready | not)'
  kubectl hotplug status`,
		Args: cobra.NoArgs,
	}
	format := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		of, err := format()
		if err != nil {
			return err
		}
		c, err := connect(f.kubeconfig)
		if err != nil {
			return err
		}
		clusters, err := fleet.ListClusters(cmd.Context(), c)
		if err != nil {
			return fmt.Errorf("%w (is --kubeconfig the pivot cluster's?)", err)
		}
		rows := fleet.Matrix(clusters)
		now := time.Now()
		if err := output.Print(cmd.OutOrStdout(), of, rows, func(w io.Writer) error {
			if len(rows) == 0 {
				_, err := fmt.Fprintln(w, "No Cluster objects found: register clusters on the pivot first (kubectl get cluster).")
				return err
			}
			return fleet.WriteTable(w, output.StylerFor(w), rows, now)
		}); err != nil {
			return err
		}
		if f.check {
			if probs := fleet.Problems(rows); len(probs) > 0 {
				return fmt.Errorf("%d problem(s) in the fleet:\n  %s", len(probs), strings.Join(probs, "\n  "))
			}
		}
		return nil
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the pivot cluster (default: $KUBECONFIG, then ~/.kube/config)")
	fl.BoolVar(&f.check, "check", false, "exit 1 when a cluster is not normal or a component is not ready")
	return cmd
}
