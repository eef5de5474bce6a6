package cli

import (
	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/output"
)

// outputFlag registers -o/--output on cmd and returns a function that
// parses it; a bad value is a usage error (exit 2).
func outputFlag(cmd *cobra.Command) func() (output.Format, error) {
	s := cmd.Flags().StringP("output", "o", string(output.FormatTable), "output format: "+output.Formats)
	return func() (output.Format, error) {
		f, err := output.ParseFormat(*s)
		if err != nil {
			return "", usageError{err}
		}
		return f, nil
	}
}
