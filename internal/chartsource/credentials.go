package chartsource

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// Credentials are what a pull Secret may hold. Any part may be empty: a
// Secret with only a CA is a private CA without a login.
type Credentials struct {
	Username, Password string
	// DockerConfigJSON is a .dockerconfigjson; the entry for the
	// repository's host is used when Username is empty.
	DockerConfigJSON []byte
	// CAPEM is added to the system roots; CertPEM/KeyPEM is a client
	// certificate.
	CAPEM, CertPEM, KeyPEM []byte
}

// Keys of a pull Secret's data.
const (
	KeyUsername         = "username"
	KeyPassword         = "password"
	KeyDockerConfigJSON = ".dockerconfigjson"
	KeyCA               = "ca.crt"
	KeyCert             = "tls.crt"
	KeyKey              = "tls.key"
)

// dockerConfig is the part of a .dockerconfigjson read here.
type dockerConfig struct {
	Auths map[string]struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	} `json:"auths"`
}

// CredentialsFromSecret builds Credentials from a Secret's data
// (kubernetes.io/basic-auth username/password, .dockerconfigjson, ca.crt,
// tls.crt/tls.key). It is pure, checks that each present part parses, and
// its errors name the key, never a value.
func CredentialsFromSecret(data map[string][]byte) (Credentials, error) {
	c := Credentials{
		Username: string(data[KeyUsername]), Password: string(data[KeyPassword]),
		DockerConfigJSON: data[KeyDockerConfigJSON],
		CAPEM:            data[KeyCA], CertPEM: data[KeyCert], KeyPEM: data[KeyKey],
	}
	if (c.Username == "") != (c.Password == "") {
		return Credentials{}, errors.New("secret: username and password go together")
	}
	if len(c.DockerConfigJSON) > 0 {
		var cfg dockerConfig
		if json.Unmarshal(c.DockerConfigJSON, &cfg) != nil {
			return Credentials{}, errors.New("secret: .dockerconfigjson is not a docker config (JSON with auths)")
		}
	}
	if len(c.CAPEM) > 0 && !x509.NewCertPool().AppendCertsFromPEM(c.CAPEM) {
		return Credentials{}, errors.New("secret: ca.crt holds no PEM certificate")
	}
	if (len(c.CertPEM) == 0) != (len(c.KeyPEM) == 0) {
		return Credentials{}, errors.New("secret: tls.crt and tls.key go together")
	}
	if len(c.CertPEM) > 0 {
		if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
			return Credentials{}, errors.New("secret: tls.crt/tls.key are not a certificate and its key")
		}
	}
	return c, nil
}

// basicFor returns the login for host: Username/Password when set, else the
// .dockerconfigjson entry whose key names host (with or without a scheme or
// path). ok is false when there is none.
func (c Credentials) basicFor(host string) (user, pass string, ok bool) {
	if c.Username != "" {
		return c.Username, c.Password, true
	}
	var cfg dockerConfig
	if len(c.DockerConfigJSON) == 0 || json.Unmarshal(c.DockerConfigJSON, &cfg) != nil {
		return "", "", false
	}
	for key, a := range cfg.Auths {
		if dockerKeyHost(key) != host {
			continue
		}
		if a.Username != "" {
			return a.Username, a.Password, true
		}
		raw, err := base64.StdEncoding.DecodeString(a.Auth)
		if u, p, found := strings.Cut(string(raw), ":"); err == nil && found {
			return u, p, true
		}
	}
	return "", "", false
}

// dockerKeyHost returns the host[:port] a .dockerconfigjson key names:
// "harbor.example.com", "https://harbor.example.com/v1/" and
// "harbor.example.com/charts" all name harbor.example.com.
func dockerKeyHost(key string) string {
	if strings.Contains(key, "://") {
		if u, err := url.Parse(key); err == nil {
			return u.Host
		}
	}
	host, _, _ := strings.Cut(key, "/")
	return host
}

// secrets lists the values that must never appear in an error or a log.
func (c Credentials) secrets(host string) []string {
	var out []string
	if c.Password != "" {
		out = append(out, c.Password)
	}
	if _, p, ok := c.basicFor(host); ok && p != "" {
		out = append(out, p)
	}
	return out
}

// tlsConfig returns the client TLS configuration: the system roots plus
// CAPEM, and the client certificate when present.
func (c Credentials) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(c.CAPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(c.CAPEM) {
			return nil, errors.New("ca.crt holds no PEM certificate")
		}
		conf.RootCAs = pool
	}
	if len(c.CertPEM) > 0 {
		cert, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
		if err != nil {
			return nil, errors.New("tls.crt/tls.key are not a certificate and its key")
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
