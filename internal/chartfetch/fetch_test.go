package chartfetch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestIsSourceFailure: what keeps a running release (the way to the
// package failed) and what does not (the package itself is wrong).
func TestIsSourceFailure(t *testing.T) {
	srcErr := func(class error) error { return &chartsource.Error{Class: class, Ref: "oci://r/c:1"} }
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"unreachable", srcErr(chartsource.ErrUnreachable), true},
		{"unauthorized, wrapped", fmt.Errorf("component a: %w", srcErr(chartsource.ErrUnauthorized)), true},
		{"not found", srcErr(chartsource.ErrNotFound), true},
		{"index too large", srcErr(chartsource.ErrIndexTooLarge), true},
		{"the Secret cannot be read", fmt.Errorf("Secret ns/x: %w: boom", ErrCredentials), true},
		{"digest mismatch", srcErr(chartsource.ErrDigestMismatch), false},
		{"package too large", srcErr(chartsource.ErrTooLarge), false},
		{"signature invalid", srcErr(chartsource.ErrSignature), false},
		{"a bad package", errors.New("chart.yaml: invalid"), false},
		{"a bad field", &chartsource.FieldError{Field: "chart.repository", Msg: "x"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsSourceFailure(tc.err); got != tc.want {
				t.Errorf("IsSourceFailure(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestSecretLogin: no secretRef is anonymous; a Secret that cannot be read
// or holds a bad CA is ErrCredentials naming it; a good one gives its login.
func TestSecretLogin(t *testing.T) {
	secrets := map[string]map[string][]byte{
		"good":  {"username": []byte("u"), "password": []byte("p")},
		"badca": {"ca.crt": []byte("not PEM")},
	}
	l := SecretLogin{
		Read: func(_ context.Context, name string) (map[string][]byte, error) {
			if d, ok := secrets[name]; ok {
				return d, nil
			}
			return nil, errors.New("not found")
		},
		Where: func(name string) string { return "Secret ns/" + name },
	}
	chart := func(secret string) *hotplugv1.ChartSource {
		c := &hotplugv1.ChartSource{Repository: "oci://r.example.com/charts", Name: "c", Version: "1.0.0"}
		if secret != "" {
			c.SecretRef = &hotplugv1.SecretReference{Name: secret}
		}
		return c
	}
	if creds, from, err := l.Credentials(context.Background(), chart("")); err != nil || from != "" || creds.Username != "" {
		t.Errorf("no secretRef: %+v %q %v", creds, from, err)
	}
	if creds, from, err := l.Credentials(context.Background(), chart("good")); err != nil || creds.Username != "u" || !strings.Contains(from, "Secret ns/good") {
		t.Errorf("good Secret: %+v %q %v", creds, from, err)
	}
	for _, name := range []string{"missing", "badca"} {
		_, _, err := l.Credentials(context.Background(), chart(name))
		if !errors.Is(err, ErrCredentials) || !strings.Contains(err.Error(), "Secret ns/"+name) {
			t.Errorf("Secret %s: %v, want ErrCredentials naming it", name, err)
		}
	}
}

// TestFetchRefusesWhatItCannotDo: verify is never skipped, and without a
// puller a chart by source names the reader; neither touches the network.
func TestFetchRefusesWhatItCannotDo(t *testing.T) {
	local := chartpkg.NewLoader(t.TempDir(), limits.Default())
	chart := &hotplugv1.ChartSource{Repository: "oci://r.example.com/charts", Name: "c", Version: "1.0.0",
		Verify: &hotplugv1.ChartVerify{Provider: "notation", SecretRef: &hotplugv1.SecretReference{Name: "k"}}}
	puller := &chartsource.Puller{Cache: &chartsource.Cache{Dir: t.TempDir()}}
	_, err := New(local, puller, StaticLogin{Key: []byte("key")}, limits.Default(), "this agent").Fetch(context.Background(), "web", "", chart)
	if !errors.Is(err, ErrVerifyUnsupported) || !strings.Contains(err.Error(), `component web: chart.verify.provider "notation"`) {
		t.Errorf("verify: %v", err)
	}
	chart.Verify = nil
	_, err = New(local, nil, nil, limits.Default(), "hotplug render").Fetch(context.Background(), "web", "", chart)
	if !errors.Is(err, chartpkg.ErrSourceNotSupported) || !strings.Contains(err.Error(), "hotplug render") {
		t.Errorf("no puller: %v", err)
	}
}
