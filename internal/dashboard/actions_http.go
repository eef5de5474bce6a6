package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// serveSwitch enables or disables a component in one cluster (or, with
// dryRun, says what that would change).
func serveSwitch(w http.ResponseWriter, r *http.Request, o Options) {
	if o.Actions == nil {
		http.Error(w, "this view is read-only", http.StatusForbidden)
		return
	}
	var req struct {
		Cluster   string `json:"cluster"`
		Component string `json:"component"`
		Status    string `json:"status"`
		DryRun    bool   `json:"dryRun"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "switch: send {cluster, component, status, dryRun}: "+err.Error(), http.StatusBadRequest)
		return
	}
	if req.Cluster == "" || req.Cluster == hotplugv1.CommonName || req.Component == "" ||
		(req.Status != hotplugv1.StatusEnabled && req.Status != hotplugv1.StatusDisabled) {
		http.Error(w, fmt.Sprintf("switch: cluster (not %s), component and status (%s or %s) are required", hotplugv1.CommonName, hotplugv1.StatusEnabled, hotplugv1.StatusDisabled), http.StatusBadRequest)
		return
	}
	msg, err := o.Actions.Switch(r.Context(), req.Cluster, req.Component, req.Status, req.DryRun)
	if err != nil {
		o.Log.Info("switch refused", "cluster", req.Cluster, "component", req.Component, "status", req.Status, "dryRun", req.DryRun, "error", err.Error())
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	if !req.DryRun {
		o.Log.Info("switch", "cluster", req.Cluster, "component", req.Component, "status", req.Status)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// serveRollout pauses, resumes or undoes the rollout of common.
func serveRollout(w http.ResponseWriter, r *http.Request, o Options) {
	op := r.PathValue("op")
	if o.Actions == nil {
		http.Error(w, "this view is read-only", http.StatusForbidden)
		return
	}
	if !slices.Contains([]string{"pause", "resume", "undo"}, op) {
		http.Error(w, fmt.Sprintf("unknown rollout action %q (pause, resume, undo)", op), http.StatusNotFound)
		return
	}
	msg, err := o.Actions.Rollout(r.Context(), op)
	if err != nil {
		o.Log.Info("rollout action refused", "action", op, "error", err.Error())
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	o.Log.Info("rollout action", "action", op, "result", msg)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// serveConfig explains a cell's configuration, value by value.
func serveConfig(w http.ResponseWriter, r *http.Request, o Options) {
	if o.Explain == nil {
		http.Error(w, "no configuration view here", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	ex, err := o.Explain(r.Context(), q.Get("cluster"), q.Get("component"))
	var body any = ex
	if err != nil {
		body = map[string]any{"error": err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
