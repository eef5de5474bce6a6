package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/output"
	"github.com/kubecube-io/hotplug/internal/toggle"
)

type switchFlags struct {
	cluster    string
	kubeconfig string
	noWait     bool
	timeout    time.Duration
}

// pollInterval is how often enable/disable read the Hotplug's status.
const pollInterval = 500 * time.Millisecond

func init() {
	register(func() *cobra.Command { return newSwitchCommand(true) })
	register(func() *cobra.Command { return newSwitchCommand(false) })
}

// newSwitchCommand builds `enable` (on) or `disable`.
func newSwitchCommand(on bool) *cobra.Command {
	verb, status, want := "disable", hotplugv1.StatusDisabled, `True with reason Disabled`
	if on {
		verb, status, want = "enable", hotplugv1.StatusEnabled, `True with reason Deployed (its objects are ready; FeatureSwitch for a feature switch)`
	}
	f := switchFlags{}
	cmd := &cobra.Command{
		Use:   verb + " COMPONENT [--cluster NAME] [--kubeconfig PIVOT] [--no-wait] [--timeout 5m]",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a component in every cluster (common) or in one cluster (--cluster)",
		Long: fmt.Sprintf(`%[1]s sets the component's status to %[2]s in the Hotplug 'common' (all clusters),
or with --cluster in that cluster's own Hotplug, which is created (with the annotation
kubecube.io/sync: "true") when missing; a component the object does not list is added
with its name and status only, so everything else still comes from common.

It then waits until the agent has applied the change: the object's
status.observedGeneration reaches the new generation and the component's Ready
condition is %[3]s. Clusters whose own Hotplug sets the component's status keep it;
%[1]s warns about them.

Exit codes: 0 applied (or written, with --no-wait); 1 error, or not applied within
--timeout (the change stays saved and the agent still applies it); 2 usage error.`, verb, status, want),
		Example: fmt.Sprintf(`  hotplug %[1]s logseer --cluster pivot-cluster
  hotplug %[1]s kubecube-thanos --timeout 10m
  hotplug %[1]s logagent --no-wait`, verb),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("%s takes exactly one COMPONENT, got %d arguments", verb, len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runSwitch(cmd, f, args[0], on) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster", "", "change only this cluster's own Hotplug (default: common, i.e. every cluster)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the pivot cluster (default: $KUBECONFIG, then ~/.kube/config)")
	fl.BoolVar(&f.noWait, "no-wait", false, "return once the change is saved, without waiting for the agent")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long to wait for the agent to apply the change")
	return cmd
}

func runSwitch(cmd *cobra.Command, f switchFlags, component string, on bool) error {
	if f.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be positive, got %s", f.timeout)}
	}
	if f.cluster == hotplugv1.CommonName {
		return usageError{fmt.Errorf("--cluster %s: omit --cluster to change common", f.cluster)}
	}
	status := hotplugv1.StatusDisabled
	if on {
		status = hotplugv1.StatusEnabled
	}
	object := hotplugv1.CommonName
	if f.cluster != "" {
		object = f.cluster
	}
	c, err := connect(f.kubeconfig)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	res, err := toggle.Switch(ctx, c, object, component, status)
	if err != nil {
		return err
	}
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	switch {
	case res.Created:
		fmt.Fprintf(errOut, "created Hotplug %s with %s: %s\n", object, component, status)
	case res.Added:
		fmt.Fprintf(errOut, "added %s: %s to Hotplug %s\n", component, status, object)
	case res.Changed:
		fmt.Fprintf(errOut, "set %s: %s in Hotplug %s (generation %d)\n", component, status, object, res.Generation)
	default:
		fmt.Fprintf(errOut, "Hotplug %s already has %s: %s\n", object, component, status)
	}
	if len(res.Overrides) > 0 {
		fmt.Fprintf(errOut, "warning: these clusters set %s's status in their own Hotplug and keep it: %s\n", component, strings.Join(res.Overrides, ", "))
	}
	if f.noWait {
		fmt.Fprintf(out, "%s %sd in Hotplug %s (not waiting for the agent)\n", component, verbOf(on), object)
		return nil
	}
	wctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %s passed", f.timeout))
	defer cancel()
	p := output.NewProgress(errOut)
	err = fleet.WaitApplied(wctx, c, object, component, on, res.Generation, pollInterval, p.Update)
	p.Done("")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %sd in Hotplug %s: applied by the agent (generation %d)\n", component, verbOf(on), object, res.Generation)
	return nil
}

func verbOf(on bool) string {
	if on {
		return "enable"
	}
	return "disable"
}
