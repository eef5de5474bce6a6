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
	// VerifyKey returns the key chart.verify checks the package against:
	// an OpenPGP keyring (provider helm) or a cosign public key in PEM
	// (provider cosign); an error names its source and wraps
	// ErrCredentials.
	VerifyKey(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error)
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

// VerifyKey implements Login: keyring.gpg (provider helm) or cosign.pub
// (provider cosign) of chart.verify.secretRef's Secret.
func (l SecretLogin) VerifyKey(ctx context.Context, chart *hotplugv1.ChartSource) ([]byte, error) {
	if chart.Verify == nil || chart.Verify.SecretRef == nil || chart.Verify.SecretRef.Name == "" {
		return nil, fmt.Errorf("chart.verify.secretRef: %w: no Secret named", ErrCredentials)
	}
	where := "chart.verify.secretRef " + l.Where(chart.Verify.SecretRef.Name)
	data, err := l.Read(ctx, chart.Verify.SecretRef.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrCredentials, err)
	}
	key := verifySecretKey(chart.Verify.Provider)
	if len(data[key]) == 0 {
		return nil, fmt.Errorf("%s: %w: it has no %s", where, ErrCredentials, key)
	}
	return data[key], nil
}

// The keys of a verify Secret.
const (
	// KeyKeyring holds the OpenPGP keyring (provider helm).
	KeyKeyring = "keyring.gpg"
	// KeyCosignPub holds the cosign public key, PEM (provider cosign).
	KeyCosignPub = "cosign.pub"
)

// verifySecretKey is the key of a verify Secret that provider reads.
func verifySecretKey(provider string) string {
	if provider == hotplugv1.VerifyCosign {
		return KeyCosignPub
	}
	return KeyKeyring
}

// StaticLogin is a Login with credentials and a keyring at hand (tests, a
// caller that read them already); From names them for messages.
type StaticLogin struct {
	Creds chartsource.Credentials
	// Key is what VerifyKey returns, whatever the provider.
	Key  []byte
	From string
}

// Credentials implements Login.
func (l StaticLogin) Credentials(context.Context, *hotplugv1.ChartSource) (chartsource.Credentials, string, error) {
	return l.Creds, l.From, nil
}

// VerifyKey implements Login.
func (l StaticLogin) VerifyKey(context.Context, *hotplugv1.ChartSource) ([]byte, error) {
	if len(l.Key) == 0 {
		return nil, fmt.Errorf("%s: %w: no verification key", l.From, ErrCredentials)
	}
	return l.Key, nil
}
