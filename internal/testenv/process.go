package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// HotplugBinary builds cmd/hotplug once per test binary and returns its
// path, for tests that run the agent as a real process (to SIGKILL it).
func HotplugBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(self), "..", "..")
		dir, err := os.MkdirTemp("", "hotplug-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hotplug")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hotplug")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building hotplug: %v", buildErr)
	}
	return binPath
}

// StartAgentProcess runs `hotplug agent` with args as a child process that
// dies with the test binary and is killed when the test ends.
func StartAgentProcess(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(HotplugBinary(t), append([]string{"agent", "--metrics-bind-address=0", "--health-probe-bind-address=0"}, args...)...)
	cmd.Stdout, cmd.Stderr = LogWriter(t), LogWriter(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}
