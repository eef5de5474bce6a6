package hub

import (
	"testing"
	"time"
)

func TestCertificateRenewal(t *testing.T) {
	hosts := []string{"hotplug-hub.kubecube-system.svc", "127.0.0.1"}
	now := time.Now()
	var missing *Bundle
	if !missing.NeedsRenewal(hosts, now) {
		t.Fatal("a missing certificate must be issued")
	}
	b, err := Renew(nil, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if b.NeedsRenewal(hosts, now) {
		t.Error("a fresh certificate needs renewal")
	}
	if !b.NeedsRenewal([]string{"other.example"}, now) {
		t.Error("a certificate for other hosts was kept")
	}
	later := now.Add(servingLifetime * 3 / 4)
	if !b.NeedsRenewal(hosts, later) {
		t.Error("a certificate past two thirds of its life was kept")
	}
	next, err := Renew(b, hosts, later)
	if err != nil {
		t.Fatal(err)
	}
	if !equalPEM(next.CACert, b.CACert) {
		t.Error("renewal replaced a CA that is still good; clients trusting it would break")
	}
	if equalPEM(next.TLSCert, b.TLSCert) || next.NeedsRenewal(hosts, later) {
		t.Error("renewal did not issue a fresh serving certificate")
	}
	// Near the CA's end a new CA is made.
	end := now.Add(caLifetime - servingLifetime/2)
	fresh, err := Renew(b, hosts, end)
	if err != nil {
		t.Fatal(err)
	}
	if equalPEM(fresh.CACert, b.CACert) {
		t.Error("an expiring CA was kept")
	}
	corrupt := &Bundle{CACert: []byte("x"), TLSCert: []byte("y")}
	if !corrupt.NeedsRenewal(hosts, now) {
		t.Error("a corrupt bundle was kept")
	}
}
