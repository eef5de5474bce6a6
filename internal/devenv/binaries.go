package devenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// modulePath identifies hotplug's checkout by its go.mod.
const modulePath = "module github.com/kubecube-io/hotplug\n"

// requiredBinaries lists what the control plane needs from the bin dir.
func requiredBinaries(workloads bool) []string {
	names := []string{"etcd", "kube-apiserver"}
	if workloads {
		names = append(names, "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml")
	}
	return names
}

// missingBinaries returns the required files absent from binDir.
func missingBinaries(binDir string, workloads bool) []string {
	var missing []string
	for _, n := range requiredBinaries(workloads) {
		if _, err := os.Stat(filepath.Join(binDir, n)); err != nil {
			missing = append(missing, n)
		}
	}
	return missing
}

// ensureBinaries builds the missing control-plane binaries with
// `make controlplane` in the checkout, streaming its output to progress, so
// a bare machine needs only Go. Without a checkout it explains what to run.
func ensureBinaries(ctx context.Context, binDir string, workloads bool, progress io.Writer) error {
	missing := missingBinaries(binDir, workloads)
	if len(missing) == 0 {
		return nil
	}
	root := findCheckout(binDir)
	if root == "" {
		return fmt.Errorf("control-plane binaries missing from %s (%s) and no hotplug checkout found to build them: run `make controlplane` in the hotplug repository (or set %s)",
			binDir, strings.Join(missing, ", "), controlplane.BinDirEnv)
	}
	fmt.Fprintf(progress, "building the control plane into %s (missing: %s); the first build takes minutes\n", binDir, strings.Join(missing, ", "))
	cmd := buildCommand(ctx, root, binDir)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running %s: %w", strings.Join(cmd.Args, " "), err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintf(progress, "  | %s\n", sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Wait()
	_ = pw.Close()
	<-copied
	if err != nil {
		return fmt.Errorf("building the control plane (%s in %s): %w", strings.Join(cmd.Args, " "), root, err)
	}
	if still := missingBinaries(binDir, workloads); len(still) > 0 {
		return fmt.Errorf("building the control plane left %s missing from %s", strings.Join(still, ", "), binDir)
	}
	return nil
}

// buildCommand prefers `make controlplane` (the documented entry point) and
// falls back to its script when make is not installed.
func buildCommand(ctx context.Context, root, binDir string) *exec.Cmd {
	var cmd *exec.Cmd
	if _, err := exec.LookPath("make"); err == nil {
		cmd = exec.CommandContext(ctx, "make", "--no-print-directory", "controlplane", "BIN="+binDir)
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(root, "hack", "build-controlplane.sh"))
	}
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BIN_DIR="+binDir)
	// Ctrl-C must stop the go builds make started, not only make: run the
	// build in its own process group and signal the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// findCheckout finds hotplug's source tree: from the bin dir's parent
// upwards first (bin/ normally sits in the checkout it is built from), then
// from the working directory. It returns "" when neither is inside one.
func findCheckout(binDir string) string {
	var starts []string
	if abs, err := filepath.Abs(binDir); err == nil {
		starts = append(starts, filepath.Dir(abs))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		if root, err := checkoutAbove(start); err == nil {
			return root
		}
	}
	return ""
}

var errNoCheckout = errors.New("no hotplug checkout")

func checkoutAbove(dir string) (string, error) {
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte(modulePath)) {
			if _, err := os.Stat(filepath.Join(dir, "hack", "build-controlplane.sh")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoCheckout
		}
		dir = parent
	}
}
