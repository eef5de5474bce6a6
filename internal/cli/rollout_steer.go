package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

func newRolloutPauseCommand() *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "pause [--kubeconfig PIVOT]",
		Short: "Stop the hub from moving further clusters to common's target revision",
		Long: fmt.Sprintf(`pause sets the annotation %s: "true" on common. Clusters already moved keep
their revision; no other cluster moves until 'hotplug rollout resume'. An undo still
applies at once (it returns clusters to what ran everywhere).

Exit codes: 0 paused (or already paused); 1 error; 2 usage error.`, hotplugv1.RolloutPausedAnnotation),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(kubeconfig)
			if err != nil {
				return err
			}
			changed, err := rollout.Pause(cmd.Context(), c)
			if err != nil {
				return err
			}
			if !changed {
				fmt.Fprintln(cmd.OutOrStdout(), "rollout of common already paused")
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), "rollout of common paused")
			return nil
		},
	}
	kubeconfigFlag(cmd, &kubeconfig)
	return cmd
}

func newRolloutResumeCommand() *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "resume [--kubeconfig PIVOT]",
		Short: "Let the rollout of common go on; failed clusters get a new progress deadline",
		Long: fmt.Sprintf(`resume removes the annotation %s from common and sets %s to a new
marker (common's generation and resourceVersion). When the hub sees it, every cluster that
failed is Progressing again with a new progress deadline counted by the hub's clock (this
machine's clock plays no part), and the hub moves further clusters once they are done.

Exit codes: 0 resumed; 1 error; 2 usage error.`, hotplugv1.RolloutPausedAnnotation, hotplugv1.RolloutResumedAtAnnotation),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(kubeconfig)
			if err != nil {
				return err
			}
			if err := rollout.Resume(cmd.Context(), c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "rollout of common resumed")
			return nil
		},
	}
	kubeconfigFlag(cmd, &kubeconfig)
	return cmd
}

func newRolloutUndoCommand() *cobra.Command {
	var kubeconfig, namespace string
	cmd := &cobra.Command{
		Use:   "undo [--kubeconfig PIVOT] [--namespace kubecube-system]",
		Short: "Set common's spec back to the last revision that completed everywhere",
		Long: `undo reads status.rollout.revision of common (the last revision that ran healthy in every
cluster), reads that revision from the hub's history (Secret
hotplug-common-r<N> in --namespace) and writes its components back into common, keeping
the current rollout settings. That is a new revision with the content every cluster ran;
the hub assigns it at once to all clusters, which returns the ones that had moved.

Exit codes: 0 undone; 1 error, or nothing to undo (common already holds that content);
2 usage error.`,
		Example: `  hotplug rollout undo --kubeconfig ~/.kube/pivot`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(kubeconfig)
			if err != nil {
				return err
			}
			restored, gen, err := rollout.Undo(cmd.Context(), c, namespace)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "common set back to revision %d (now generation %d); the hub assigns it to every cluster at once\n", restored, gen)
			return nil
		},
	}
	kubeconfigFlag(cmd, &kubeconfig)
	cmd.Flags().StringVar(&namespace, "namespace", rollout.DefaultNamespace, "the hub's namespace, where the revisions of common are kept")
	return cmd
}
