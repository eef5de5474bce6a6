package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BinDirEnv names the environment variable that points at the directory of
// control-plane binaries. When unset, bin/ of the enclosing hotplug checkout
// is used, then the directory of the running executable.
const BinDirEnv = "HOTPLUG_BIN_DIR"

const modulePath = "module github.com/kubecube-io/hotplug\n"

// FindBinDir returns the directory that holds the control-plane binaries.
func FindBinDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && bytes.HasPrefix(mod, []byte(modulePath)) {
				return filepath.Join(dir, "bin"), nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating control-plane binaries: set %s: %w", BinDirEnv, err)
	}
	return filepath.Dir(exe), nil
}

// binary returns the path of the named binary in dir, or an error that
// tells the user how to build it.
func binary(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s not found in %s: run `make controlplane` (or set %s)", name, dir, BinDirEnv)
		}
		return "", fmt.Errorf("checking %s: %w", p, err)
	}
	return p, nil
}
