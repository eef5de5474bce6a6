package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"helm.sh/helm/v4/pkg/helmpath"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// chartSourceFlags say how render and diff pull charts by source: with the
// user's own Helm registry login (what `helm registry login` wrote) and
// repository CA, into a cache of their own. A chart's secretRef names a
// Secret in a cluster the CLI does not read.
type chartSourceFlags struct {
	registryConfig string
	caFile         string
	cacheDir       string
	keyring        string
	cosignKey      string
}

func (f *chartSourceFlags) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.registryConfig, "registry-config", helmpath.ConfigPath("registry/config.json"), "Helm registry login used to pull charts from OCI registries or Helm repositories (what 'helm registry login' writes; $HELM_REGISTRY_CONFIG)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM CA bundle trusted for chart registries and repositories, in addition to the system's (a private registry's CA)")
	fl.StringVar(&f.keyring, "keyring", defaultKeyring(), "OpenPGP keyring that charts with verify.provider helm are checked against (what 'helm verify --keyring' reads)")
	fl.StringVar(&f.cosignKey, "cosign-key", "cosign.pub", "cosign public key (PEM) that charts with verify.provider cosign are checked against (what 'cosign verify --key' reads)")
	fl.StringVar(&f.cacheDir, "chart-cache-dir", filepath.Join(helmpath.CachePath(""), "hotplug-charts"), "where pulled chart packages are cached by digest")
}

// fetcher is the agent's package source with the user's login.
func (f *chartSourceFlags) fetcher(chartDir string) *chartfetch.Fetcher {
	puller := &chartsource.Puller{Cache: &chartsource.Cache{Dir: f.cacheDir}}
	return chartfetch.New(chartpkg.NewLoader(chartDir, limits.Default()), puller, helmLogin{f.registryConfig, f.caFile, f.keyring, f.cosignKey}, limits.Default(), "hotplug")
}

// defaultKeyring is Helm's default keyring, ~/.gnupg/pubring.gpg.
func defaultKeyring() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".gnupg", "pubring.gpg")
}

// helmLogin is the user's Helm registry login, CA, keyring and cosign key.
type helmLogin struct{ config, caFile, keyring, cosignKey string }

// VerifyKey implements chartfetch.Login: the --cosign-key file for provider
// cosign, else the --keyring file.
func (l helmLogin) VerifyKey(_ context.Context, chart *hotplugv1.ChartSource) ([]byte, error) {
	flag, path := "--keyring", l.keyring
	if chart.Verify != nil && chart.Verify.Provider == hotplugv1.VerifyCosign {
		flag, path = "--cosign-key", l.cosignKey
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", flag, path, chartfetch.ErrCredentials, err)
	}
	return data, nil
}

// Credentials implements chartfetch.Login.
func (l helmLogin) Credentials(context.Context, *hotplugv1.ChartSource) (chartsource.Credentials, string, error) {
	var creds chartsource.Credentials
	from := ""
	if data, err := os.ReadFile(l.config); err == nil {
		creds.DockerConfigJSON, from = data, "your Helm registry login "+l.config
	} else if !os.IsNotExist(err) {
		return creds, "", fmt.Errorf("--registry-config %s: %w: %w", l.config, chartfetch.ErrCredentials, err)
	}
	if l.caFile != "" {
		data, err := os.ReadFile(l.caFile)
		if err != nil {
			return creds, "", fmt.Errorf("--ca-file %s: %w: %w", l.caFile, chartfetch.ErrCredentials, err)
		}
		creds.CAPEM = data
	}
	return creds, from, nil
}
