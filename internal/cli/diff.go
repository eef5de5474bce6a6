package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/output"
)

type diffFlags struct {
	cluster    string
	kubeconfig string
	chartDir   string
	namespace  string
	sources    chartSourceFlags
}

func init() { register(newDiffCommand) }

func newDiffCommand() *cobra.Command {
	f := diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff --cluster NAME [--kubeconfig CLUSTER] [--chart-dir DIR] [-o table|yaml|json]",
		Short: "Show what the cluster's agent would install, upgrade or uninstall now",
		Long: `diff reads, from the cluster itself, the Hotplugs common and NAME, the Helm releases,
and the agent's inventory (ConfigMap hotplug-inventory in --namespace), loads the chart
packages from --chart-dir, and runs the agent's own planning function on them. It
prints per component what the agent would do (install, upgrade, uninstall, nothing)
and, for each upgrade, a unified diff of the values (deployed release -> desired).
It changes nothing. Point --kubeconfig at the cluster (a member, or the pivot for
the pivot's own releases), and --chart-dir at a copy of the agent's chart packages.

Exit codes, after diff(1): 0 no changes; 3 changes pending; 1 error (including a
component whose configuration is invalid or whose package cannot be loaded: the
agent would not change it); 2 usage error.`,
		Example: `  hotplug diff --cluster pivot-cluster --kubeconfig ~/.kube/pivot --chart-dir ./charts
  hotplug diff --cluster member-1 --kubeconfig member-1.kubeconfig -o json
  if hotplug diff --cluster member-1 >/dev/null; then echo in sync; fi`,
		Args: cobra.NoArgs,
	}
	format := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		of, err := format()
		if err != nil {
			return err
		}
		if f.cluster == "" {
			return usageError{fmt.Errorf("--cluster is required: name the cluster the agent runs for (its --cluster-name)")}
		}
		cfg, err := kube.LoadConfig(f.kubeconfig)
		if err != nil {
			return err
		}
		c, err := kube.NewClient(cfg)
		if err != nil {
			return err
		}
		h, err := helm.New(cfg, helm.Options{})
		if err != nil {
			return err
		}
		changes, err := fleet.Preview(cmd.Context(), c, h, fleet.PreviewOptions{Cluster: f.cluster, ChartDir: f.chartDir, Namespace: f.namespace,
			Charts: f.sources.fetcher(f.chartDir)})
		if err != nil {
			return err
		}
		if changes == nil {
			changes = []fleet.Change{}
		}
		if err := output.Print(cmd.OutOrStdout(), of, changes, func(w io.Writer) error {
			return fleet.WriteChanges(w, output.StylerFor(w), changes)
		}); err != nil {
			return err
		}
		pending, blocked := 0, 0
		for _, ch := range changes {
			if ch.Error != "" {
				blocked++
			} else if ch.Pending() {
				pending++
			}
		}
		switch {
		case blocked > 0:
			return fmt.Errorf("%d component(s) blocked: the agent would not change them; fix the configuration or --chart-dir (see DETAIL)", blocked)
		case pending > 0:
			return exitCodeError{code: ExitChanges, msg: fmt.Sprintf("%d component(s) would change", pending)}
		}
		return nil
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster", "", "name of the cluster, as its agent's --cluster-name (required)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to compare (default: $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&f.chartDir, "chart-dir", agent.DefaultChartDir, "directory of chart packages, as the agent's --chart-dir")
	fl.StringVar(&f.namespace, "namespace", agent.DefaultNamespace, "namespace of the agent's inventory ConfigMap, as the agent's --namespace")
	f.sources.addFlags(fl)
	return cmd
}
