// Package testbrowser finds the browsers that browser tests drive (Chromium
// for chromedp, Firefox) and drives Firefox over WebDriver BiDi.
package testbrowser

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the path of a Chromium (or Chrome) for browser tests:
// $HOTPLUG_CHROMIUM, else chromium, chromium-browser or google-chrome on
// PATH. Without one the test fails saying what to install: a browser test
// is never skipped.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("HOTPLUG_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium for the browser tests: install Debian's chromium (apt-get install chromium; .ci/run does) or set HOTPLUG_CHROMIUM")
	return ""
}
