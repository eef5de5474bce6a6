package testbrowser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bidiAnnounce is the line Firefox writes to stderr once its WebDriver BiDi
// server listens; with --remote-debugging-port 0 it is the only place the
// chosen port is told.
const bidiAnnounce = "WebDriver BiDi listening on "

// Firefox returns the path of a Firefox for browser tests: $HOTPLUG_FIREFOX,
// else firefox-esr or firefox on PATH. Without one the test fails saying
// what to install: a browser test is never skipped.
func Firefox(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("HOTPLUG_FIREFOX"); p != "" {
		return p
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Firefox for the browser tests: install Debian's firefox-esr (apt-get install firefox-esr; make browser does) or set HOTPLUG_FIREFOX")
	return ""
}

// StartFirefox starts a headless Firefox with a fresh profile and its
// WebDriver BiDi server on a free port, opens a session and returns it
// driving a window of its own. The test's cleanup closes it; a browser that
// does not come up fails the test with the end of its stderr.
func StartFirefox(t testing.TB) *BiDi {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := startFirefox(ctx, Firefox(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// startFirefox launches the browser, waits for its announcement and
// connects; on any failure it leaves no process or profile behind.
func startFirefox(ctx context.Context, path string) (*BiDi, error) {
	profile, err := os.MkdirTemp("", "hotplug-firefox-")
	if err != nil {
		return nil, fmt.Errorf("firefox profile: %w", err)
	}
	// Port 0: the kernel picks a free one, so parallel test binaries never
	// collide; Firefox announces it on stderr. --remote-allow-origins admits
	// the Origin header golang.org/x/net/websocket always sends (Firefox
	// refuses any Origin it was not told about).
	cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", "--remote-allow-origins", bidiOrigin, "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1")
	// Its own process group: Firefox starts content processes, and Close
	// ends them with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		_ = os.RemoveAll(profile)
		return nil, fmt.Errorf("firefox stderr: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(profile)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	b := &BiDi{cmd: cmd, profile: profile, log: &tail{}}
	url, err := awaitAnnounce(ctx, stderr, b.log)
	if err == nil {
		err = b.connect(ctx, url)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("firefox %s: %w; its stderr ends:\n%s", path, err, b.log)
	}
	return b, nil
}

// awaitAnnounce reads stderr until Firefox names its BiDi endpoint, then
// keeps draining it into log in the background (a full pipe would stall
// the browser).
func awaitAnnounce(ctx context.Context, stderr io.Reader, log *tail) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.add(line)
			if i := strings.Index(line, bidiAnnounce); i >= 0 {
				select {
				case found <- strings.TrimSpace(line[i+len(bidiAnnounce):]):
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			return "", errors.New("firefox exited before its WebDriver BiDi server listened")
		}
		return url + "/session", nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for %q: %w", bidiAnnounce, ctx.Err())
	}
}

// Close ends the session's browser with its content processes and removes
// its profile.
func (b *BiDi) Close() {
	if b.conn != nil {
		_ = b.conn.Close()
	}
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		_ = b.cmd.Wait()
	}
	_ = os.RemoveAll(b.profile)
}

// tail keeps the last lines of the browser's stderr for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (l *tail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 20 {
		l.lines = l.lines[len(l.lines)-20:]
	}
}

func (l *tail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
