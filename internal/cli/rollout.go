package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/output"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

func init() { register(newRolloutCommand) }

// newRolloutCommand groups the commands that watch and steer the
// progressive rollout of common.
func newRolloutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Watch and steer the progressive rollout of common (status, pause, resume, undo)",
		Long: `With spec.rollout.strategy: Progressive in the Hotplug 'common', the hub moves each new
revision of common (its spec at one generation) to the clusters step by step: the canary
clusters one at a time, then the others at most maxConcurrency at a time, each once the
previous ones ran it with Ready=True for minHealthySeconds. A cluster not done within
progressDeadline fails and pauses the rollout. These commands read and steer it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("rollout needs a command: status, pause, resume or undo")}
		},
	}
	cmd.AddCommand(newRolloutStatusCommand(), newRolloutPauseCommand(), newRolloutResumeCommand(), newRolloutUndoCommand())
	return cmd
}

func kubeconfigFlag(cmd *cobra.Command, into *string) {
	cmd.Flags().StringVar(into, "kubeconfig", "", "kubeconfig of the pivot cluster (default: $KUBECONFIG, then ~/.kube/config)")
}

func newRolloutStatusCommand() *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "status [--kubeconfig PIVOT] [-o table|yaml|json]",
		Short: "Show the rollout of common: phase, revisions and every cluster's state",
		Long: `status prints common's status.rollout, which the hub writes: the phase (Progressing,
Paused or Complete), the last revision that completed everywhere, the target revision,
and per cluster the revision assigned to it, its state (Pending, Progressing, Updated,
Failed), since when, and why.

Exit codes: 0 ok; 1 error, or the rollout is paused with failed clusters; 2 usage error.`,
		Example: `  hotplug rollout status --kubeconfig ~/.kube/pivot
  hotplug rollout status -o json | jq '.failedClusters'`,
		Args: cobra.NoArgs,
	}
	format := outputFlag(cmd)
	kubeconfigFlag(cmd, &kubeconfig)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		of, err := format()
		if err != nil {
			return err
		}
		c, err := connect(kubeconfig)
		if err != nil {
			return err
		}
		common, err := rollout.GetCommon(cmd.Context(), c)
		if err != nil {
			return fmt.Errorf("%w (is --kubeconfig the pivot cluster's?)", err)
		}
		rs := common.Status.Rollout
		if rs == nil {
			rs = &hotplugv1.RolloutStatus{}
		}
		now := time.Now()
		if err := output.Print(cmd.OutOrStdout(), of, rs, func(w io.Writer) error {
			if common.Status.Rollout == nil {
				_, err := fmt.Fprintln(w, "common does not roll out progressively (no status.rollout): every cluster takes each revision at once.")
				return err
			}
			return rollout.WriteStatus(w, output.StylerFor(w), rs, now)
		}); err != nil {
			return err
		}
		if rs.Phase == hotplugv1.RolloutPaused && len(rs.FailedClusters) > 0 {
			return exitCodeError{code: ExitError, msg: fmt.Sprintf("rollout of revision %d paused: %d cluster(s) failed", rs.TargetRevision, len(rs.FailedClusters))}
		}
		return nil
	}
	return cmd
}
