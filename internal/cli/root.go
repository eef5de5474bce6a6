// Package cli holds hotplug's cobra commands. Each command parses flags and
// calls into the package that does the work; no business logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// Exit codes that scripts can rely on.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError marks errors in the command line rather than in the work.
type usageError struct{ error }

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := NewRoot()
	err := cmd.ExecuteContext(ctx)
	var ec exitCodeError
	switch {
	case err == nil:
	case errors.As(err, &ec):
		fmt.Fprintln(os.Stderr, ec.msg) // the command already printed its result
	default:
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	return ExitCode(err)
}

// NewRoot builds the command tree. Invoked as kubectl-hotplug it presents
// itself as the kubectl plugin `kubectl hotplug`.
func NewRoot() *cobra.Command {
	use := "hotplug"
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		use = "kubectl hotplug"
	}
	var verbose int
	root := &cobra.Command{
		Use:           use,
		Short:         "Switch cluster add-ons on and off across a fleet of Kubernetes clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			cmd.SetContext(logr.NewContext(cmd.Context(), newLogger(verbose)))
		},
	}
	root.PersistentFlags().IntVarP(&verbose, "verbose", "v", 0, "log verbosity (0: info, higher: debug)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd())
	}
	return root
}

// subcommands holds the constructors of hotplug's commands; each command's
// file registers itself, so adding one touches no other file.
var subcommands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { subcommands = append(subcommands, newCmd) }

// newLogger returns a structured (JSON when not on a terminal) logr logger.
func newLogger(verbose int) logr.Logger {
	opts := zap.Options{Development: isTerminal(os.Stderr), Level: zapcore.Level(-verbose)}
	return zap.New(zap.UseFlagOptions(&opts), zap.WriteTo(os.Stderr))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
