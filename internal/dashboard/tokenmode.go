package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// CookieName is the cookie a token pasted into the login form is kept in:
// HttpOnly (no script reads it), Secure, SameSite=Strict (no other site's
// request carries it).
const CookieName = "hotplug-dashboard-token"

// maxTokenBytes bounds a token before it is sent for review.
const maxTokenBytes = 16 << 10

// readAccess is what seeing the fleet takes: what `hotplug status` and
// `kubectl get hotplug` take.
var readAccess = []Access{
	{Verb: "list", Group: clusterv1.GroupVersion.Group, Resource: "clusters"},
	{Verb: "list", Group: hotplugv1.GroupVersion.Group, Resource: "hotplugs"},
}

// requireToken authenticates every /api/ request (the page itself loads
// without, to show its login form) by its bearer token or the login
// cookie, refuses a reader without readAccess with 403 naming the missing
// permission, and hands the identity to the handlers (actions impersonate
// it).
func requireToken(auth *TokenAuth, log logr.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !strings.HasPrefix(r.URL.Path, "/api/"):
			next.ServeHTTP(w, r)
			return
		case r.URL.Path == "/api/login" && r.Method == http.MethodPost:
			login(w, r, auth)
			return
		case r.URL.Path == "/api/logout" && r.Method == http.MethodPost:
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
			w.WriteHeader(http.StatusNoContent)
			return
		}
		token := tokenOf(r)
		if token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotplug"`)
			http.Error(w, "no token: send Authorization: Bearer <token> or log in with a token on the page", http.StatusUnauthorized)
			return
		}
		id, code, msg := admit(r.Context(), auth, log, token)
		if code != http.StatusOK {
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hotplug", error="invalid_token"`)
			}
			http.Error(w, msg, code)
			return
		}
		// A long event stream asks again now and then: a revoked token or
		// binding ends it.
		ctx := withRecheck(WithIdentity(r.Context(), id), func(ctx context.Context) bool {
			_, code, _ := admit(ctx, auth, log, token)
			return code == http.StatusOK
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// admit reviews token and the read access: the identity, or the HTTP
// status and message of the refusal.
func admit(ctx context.Context, auth *TokenAuth, log logr.Logger, token string) (Identity, int, string) {
	id, ok, err := auth.Authenticate(ctx, token)
	switch {
	case err != nil:
		log.Error(err, "dashboard: reviewing a token")
		return id, http.StatusServiceUnavailable, "the token could not be reviewed: " + err.Error()
	case !ok:
		return id, http.StatusUnauthorized, "the API server does not accept this token"
	}
	for _, need := range readAccess {
		allowed, err := auth.Authorize(ctx, id, need)
		if err != nil {
			log.Error(err, "dashboard: reviewing an access", "user", id.User)
			return id, http.StatusServiceUnavailable, "the access could not be reviewed: " + err.Error()
		}
		if !allowed {
			return id, http.StatusForbidden, fmt.Sprintf("user %q may not %s", id.User, need)
		}
	}
	return id, http.StatusOK, ""
}

type recheckKey struct{}

// withRecheck returns ctx carrying a check that the request is still
// admitted.
func withRecheck(ctx context.Context, f func(context.Context) bool) context.Context {
	return context.WithValue(ctx, recheckKey{}, f)
}

// stillAdmitted tells whether the request of ctx is still admitted (true
// where nothing is checked: the operator's own machine).
func stillAdmitted(ctx context.Context) bool {
	f, ok := ctx.Value(recheckKey{}).(func(context.Context) bool)
	return !ok || f(ctx)
}

// tokenOf is the request's bearer token, else the login cookie's.
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

// login checks a pasted token and keeps it in the cookie.
func login(w http.ResponseWriter, r *http.Request, auth *TokenAuth) {
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTokenBytes)).Decode(&body); err != nil || strings.TrimSpace(body.Token) == "" {
		http.Error(w, `send {"token": "<bearer token>"}`, http.StatusBadRequest)
		return
	}
	token := strings.TrimSpace(body.Token)
	id, ok, err := auth.Authenticate(r.Context(), token)
	if err != nil {
		http.Error(w, "the token could not be reviewed: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !ok {
		http.Error(w, "the API server does not accept this token", http.StatusUnauthorized)
		return
	}
	// No Path: the browser scopes it to this view's api/ directory, so
	// behind a proxy prefix the token goes to no other application.
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(id)
}

// ImpersonatingActions performs actions as the person who asked (the
// identity of the request), through Config (the hub's, allowed to
// impersonate), so RBAC decides and the audit log names the person; it
// asks Auth what the person may do.
type ImpersonatingActions struct {
	Config    *rest.Config
	Namespace string
	Auth      *TokenAuth
}

// as returns ClientActions acting as the request's person.
func (a ImpersonatingActions) as(ctx context.Context) (ClientActions, error) {
	id, ok := IdentityFrom(ctx)
	if !ok {
		return ClientActions{}, httpError{http.StatusUnauthorized, fmt.Errorf("no identity to act as")}
	}
	cfg := rest.CopyConfig(a.Config)
	// Extras are not forwarded: impersonating them takes a right per key
	// (the chart grants none), and RBAC decides on user and groups.
	cfg.Impersonate = rest.ImpersonationConfig{UserName: id.User, UID: id.UID, Groups: id.Groups}
	c, err := client.New(cfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		return ClientActions{}, err
	}
	return ClientActions{Client: c, Namespace: a.Namespace}, nil
}

// Rollout implements Actions.
func (a ImpersonatingActions) Rollout(ctx context.Context, op string) (string, error) {
	act, err := a.as(ctx)
	if err != nil {
		return "", err
	}
	return act.Rollout(ctx, op)
}

// Switch implements Actions.
func (a ImpersonatingActions) Switch(ctx context.Context, cluster, component, status string, dryRun bool) (string, error) {
	act, err := a.as(ctx)
	if err != nil {
		return "", err
	}
	return act.Switch(ctx, cluster, component, status, dryRun)
}

// Events implements EventReader as the person: RBAC decides whether they
// may list the pivot's events.
func (a ImpersonatingActions) Events(ctx context.Context, cluster, component string) ([]EventView, error) {
	act, err := a.as(ctx)
	if err != nil {
		return nil, err
	}
	return act.Events(ctx, cluster, component)
}

// Allowed implements Actions with SubjectAccessReviews for the person.
func (a ImpersonatingActions) Allowed(ctx context.Context) map[string]bool {
	id, ok := IdentityFrom(ctx)
	if !ok {
		return map[string]bool{}
	}
	return allowed(func(access Access) bool {
		ok, err := a.Auth.Authorize(ctx, id, access)
		return err == nil && ok
	})
}
