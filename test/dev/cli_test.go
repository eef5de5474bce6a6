package dev_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDevRefusesForeignStateDir keeps Ctrl-C from deleting a directory
// that dev did not make.
func TestDevRefusesForeignStateDir(t *testing.T) {
	bin := buildHotplug(t)
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, bin, "dev", "--state-dir", dir)
	if code != 2 || !strings.Contains(errOut, "not a hotplug dev state directory") {
		t.Errorf("exit %d, stderr %q; want 2 and an explanation", code, errOut)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("foreign file gone: %v", err)
	}
}

// TestDevHelpNamesOptions checks that --help documents the options.
func TestDevHelpNamesOptions(t *testing.T) {
	bin := buildHotplug(t)
	out, _, code := run(t, bin, "dev", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"--members", "--state-dir", "--keep-state", "--pivot-port", "--base-port", "--workloads", "--timeout", "Ctrl-C"} {
		if !strings.Contains(out, flag) {
			t.Errorf("help lacks %s", flag)
		}
	}
}

// TestDevInterruptedWhileStarting sends SIGINT while the clusters start:
// dev exits 0 and leaves no process behind.
func TestDevInterruptedWhileStarting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs local clusters; run without -short")
	}
	bin := buildHotplug(t)
	state := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(bin, "dev", "--state-dir", state)
	cmd.Dir = repoRoot(t)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The pivot's API server is up and member-1's is starting.
	errOut := watchLines(stderr, "starting kube-apiserver cluster=member-1")
	exited := make(chan error, 1)
	go func() { <-errOut.done; exited <- cmd.Wait() }()
	select {
	case <-errOut.found:
	case err := <-exited:
		t.Fatalf("exited early: %v\n%s", err, errOut)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("never started member-1:\n%s", errOut)
	}
	children := childPIDs(t, cmd.Process.Pid)
	if len(children) < 2 {
		t.Errorf("want etcd and a kube-apiserver running, got %v", children)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGINT: %v\n%s", err, errOut)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 30s after SIGINT:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), "interrupted while starting") {
		t.Errorf("no explanation on stderr:\n%s", errOut)
	}
	for pid, comm := range children {
		if alive(pid) {
			t.Errorf("child %d (%s) survived", pid, comm)
		}
	}
	if left := processesMentioning(t, state); len(left) > 0 {
		t.Errorf("processes still use the state directory: %v", left)
	}
}
