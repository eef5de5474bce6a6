package chartfetch

import (
	"context"
	"fmt"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartsource"
)

// Login gives the credentials to pull chart with. Where they come from is
// the caller's: the agent reads chart.secretRef's Secret in its namespace,
// the CLI uses the user's own Helm registry login and CA.
type Login interface {
	// Credentials returns chart's credentials and a short description of
	// where they came from for messages ("" when anonymous); an error names
	// its source and wraps ErrCredentials.
	Credentials(ctx context.Context, chart *hotplugv1.ChartSource) (creds chartsource.Credentials, from string, err error)
	// Keyring returns the OpenPGP keyring that chart.verify (provider
	// helm) checks the package's provenance against; an error names its
	// source and wraps ErrCredentials.
	Keyring(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error)
}

// SecretLogin reads chart.secretRef's Secret through read (data by name);
// where names a Secret for messages ("Secret <namespace>/<name>").
type SecretLogin struct {
	Read  func(ctx context.Context, name string) (map[string][]byte, error)
	Where func(name string) string
}

// Credentials implements Login.
func (l SecretLogin) Credentials(ctx context.Context, chart *hotplugv1.ChartSource) (chartsource.Credentials, string, error) {
	if chart.SecretRef == nil || chart.SecretRef.Name == "" {
		return chartsource.Credentials{}, "", nil
	}
	where := "credentials from chart.secretRef " + l.Where(chart.SecretRef.Name)
	data, err := l.Read(ctx, chart.SecretRef.Name)
	if err != nil {
		return chartsource.Credentials{}, where, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	creds, err := chartsource.CredentialsFromSecret(data)
	if err != nil {
		return chartsource.Credentials{}, where, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	return creds, where, nil
}

// Keyring implements Login: keyring.gpg of chart.verify.secretRef's Secret.
func (l SecretLogin) Keyring(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error) {
	if chart.Verify == nil || chart.Verify.SecretRef == nil || chart.Verify.SecretRef.Name == "" {
		return nil, fmt.Errorf("chart.verify.secretRef: %w: no Secret named", ErrCredentials)
	}
	where := "chart.verify.secretRef " + l.Where(chart.Verify.SecretRef.Name)
	data, err := l.Read(ctx, chart.Verify.SecretRef.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	if len(data[KeyKeyring]) == 0 {
		return nil, fmt.Errorf("%s: %w: it has no %s", where, ErrCredentials, KeyKeyring)
	}
	return data[KeyKeyring], nil
}

// KeyKeyring is the key of a verify Secret holding the OpenPGP keyring
// (provider helm).
const KeyKeyring = "keyring.gpg"

// StaticLogin is a Login with credentials and a keyring at hand (tests, a
// caller that read them already); From names them for messages.
type StaticLogin struct {
	Creds chartsource.Credentials
	Ring  []byte
	From  string
}

// Credentials implements Login.
func (l StaticLogin) Credentials(context.Context, *hotplugv1.ChartSource) (chartsource.Credentials, string, error) {
	return l.Creds, l.From, nil
}

// Keyring implements Login.
func (l StaticLogin) Keyring(context.Context, *hotplugv1.ChartSource) ([]byte, error) {
	if len(l.Ring) == 0 {
		return nil, fmt.Errorf("%s: %w: no keyring", l.From, ErrCredentials)
	}
	return l.Ring, nil
}
