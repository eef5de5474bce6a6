package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/output"
	"github.com/kubecube-io/hotplug/internal/render"
)

type renderFlags struct {
	cluster   string
	files     []string
	chartDir  string
	manifests bool
	limits    limits.Limits
	sources   chartSourceFlags
}

func init() { register(newRenderCommand) }

func newRenderCommand() *cobra.Command {
	f := renderFlags{}
	cmd := &cobra.Command{
		Use:   "render --cluster NAME -f common.yaml [-f NAME.yaml] [--manifests [--chart-dir DIR]] [-o table|yaml|json]",
		Short: "Print a cluster's effective configuration (or its manifests) from YAML files, offline",
		Long: `render merges the Hotplug 'common' with the Hotplug named after the cluster, read
from the files given with -f (each may hold several YAML documents; other kinds are
skipped), exactly as the agent does, and prints the result: one row per component
with its values summarised (table), or everything (-o yaml|json), {{.cluster}}
filled in. With --manifests it renders each enabled component's chart from
--chart-dir instead and prints the Kubernetes manifests, as 'helm template' would.
No cluster is contacted.

Exit codes: 0 ok; 1 an input or a component is bad (the good components are
still printed; the error names file, line, object, component and field);
2 usage error.`,
		Example: `  hotplug render --cluster pivot-cluster -f config/samples/hotplug_v1_common.yaml -f config/samples/hotplug_v1_pivot-cluster.yaml
  hotplug render --cluster member-1 -f common.yaml -o yaml
  hotplug render --cluster member-1 -f all.yaml --manifests --chart-dir ./charts`,
		Args: cobra.NoArgs,
	}
	format := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		of, err := format()
		if err != nil {
			return err
		}
		if f.cluster == "" {
			return usageError{fmt.Errorf("--cluster is required: name the cluster whose configuration to render")}
		}
		if len(f.files) == 0 {
			return usageError{fmt.Errorf("-f is required: pass the file holding the Hotplug common (and the cluster's own, if any)")}
		}
		if f.manifests && of != output.FormatTable {
			return usageError{fmt.Errorf("--manifests prints YAML manifests; drop -o %s", of)}
		}
		docs, err := render.ReadFiles(f.files)
		if err != nil {
			return err
		}
		common, own, err := render.Select(docs, f.cluster)
		if err != nil {
			return err
		}
		v := render.EffectiveWithin(cmd.Context(), f.limits, f.cluster, common, own)
		out := cmd.OutOrStdout()
		if f.manifests {
			if err := v.WriteManifestsWith(cmd.Context(), out, f.chartDir, f.sources.fetcher(f.chartDir)); err != nil {
				return errors.Join(v.Err(), err)
			}
			return v.Err()
		}
		if err := output.Print(out, of, v, func(w io.Writer) error { return v.WriteTable(w, output.StylerFor(w)) }); err != nil {
			return err
		}
		return v.Err()
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster", "", "name of the cluster to render (required)")
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "YAML file with Hotplug objects; repeat for several files (required)")
	fl.StringVar(&f.chartDir, "chart-dir", agent.DefaultChartDir, "directory of chart packages, for --manifests")
	f.limits.AddFlags(fl)
	fl.BoolVar(&f.manifests, "manifests", false, "print the Kubernetes manifests of the enabled components instead of the configuration")
	f.sources.addFlags(fl)
	return cmd
}
