package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultDecisionTTL is how long a TokenReview or SubjectAccessReview
// answer is reused for the same token: short, so that a revoked token or
// binding stops working within seconds.
const DefaultDecisionTTL = 10 * time.Second

// Identity is an authenticated person, as the API server knows them.
type Identity struct {
	User   string              `json:"user"`
	UID    string              `json:"-"`
	Groups []string            `json:"groups,omitempty"`
	Extra  map[string][]string `json:"-"`
}

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity a request was authenticated as.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Access is one Kubernetes permission: verb on resource (in group), of
// the object name when set.
type Access struct {
	Verb, Group, Resource, Name string
}

// String is "verb resource.group[/name]", as a 403 names it.
func (a Access) String() string {
	s := a.Verb + " " + a.Resource
	if a.Group != "" {
		s += "." + a.Group
	}
	if a.Name != "" {
		s += "/" + a.Name
	}
	return s
}

// TokenAuth authenticates bearer tokens with TokenReview and authorizes
// each access with a SubjectAccessReview that carries the person's groups,
// both through Client (the hub's identity, which may create them). Answers
// are cached per token hash for TTL (the token itself is never kept).
type TokenAuth struct {
	Client client.Client
	TTL    time.Duration

	mu        sync.Mutex
	decisions map[string]decision
}

type decision struct {
	id      Identity
	ok      bool
	err     error
	expires time.Time
}

func (a *TokenAuth) ttl() time.Duration {
	if a.TTL > 0 {
		return a.TTL
	}
	return DefaultDecisionTTL
}

// cached returns key's decision, or computes and keeps it.
func (a *TokenAuth) cached(key string, compute func() decision) decision {
	now := time.Now()
	a.mu.Lock()
	if d, ok := a.decisions[key]; ok && now.Before(d.expires) {
		a.mu.Unlock()
		return d
	}
	a.mu.Unlock()
	d := compute()
	d.expires = now.Add(a.ttl())
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.decisions == nil || len(a.decisions) > 10000 {
		a.decisions = map[string]decision{} // bounded: start over
	}
	a.decisions[key] = d
	return d
}

// Authenticate returns who token belongs to; ok is false for a token the
// API server does not accept.
func (a *TokenAuth) Authenticate(ctx context.Context, token string) (Identity, bool, error) {
	d := a.cached("authn\x00"+hash(token), func() decision {
		review := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}
		if err := a.Client.Create(ctx, review); err != nil {
			return decision{err: fmt.Errorf("TokenReview: %w", err)}
		}
		if !review.Status.Authenticated {
			return decision{}
		}
		u := review.Status.User
		id := Identity{User: u.Username, UID: u.UID, Groups: u.Groups}
		if len(u.Extra) > 0 {
			id.Extra = map[string][]string{}
			for k, v := range u.Extra {
				id.Extra[k] = v
			}
		}
		return decision{id: id, ok: true}
	})
	if d.err != nil {
		// An error is not a decision: ask again next time.
		a.forget("authn\x00" + hash(token))
	}
	return d.id, d.ok, d.err
}

// Authorize tells whether id may do access.
func (a *TokenAuth) Authorize(ctx context.Context, id Identity, access Access) (bool, error) {
	key := "authz\x00" + hash(id.User+"\x00"+id.UID+"\x00"+strings.Join(id.Groups, "\x00")) + "\x00" + access.String()
	d := a.cached(key, func() decision {
		extra := map[string]authorizationv1.ExtraValue{}
		for k, v := range id.Extra {
			extra[k] = v
		}
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: id.User, UID: id.UID, Groups: id.Groups, Extra: extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: access.Verb, Group: access.Group, Resource: access.Resource, Name: access.Name}}}
		if err := a.Client.Create(ctx, review); err != nil {
			return decision{err: fmt.Errorf("SubjectAccessReview: %w", err)}
		}
		return decision{ok: review.Status.Allowed}
	})
	if d.err != nil {
		a.forget(key)
	}
	return d.ok, d.err
}

func (a *TokenAuth) forget(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.decisions, key)
}

// hash is the hex sha256 of a secret, the only form of it that is kept.
func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
