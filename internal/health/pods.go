package health

import (
	"cmp"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// benignWaiting are container waiting reasons of a pod that is merely
// starting; they are reported only when nothing better explains the pod.
var benignWaiting = map[string]bool{"ContainerCreating": true, "PodInitializing": true}

// PodReason says why one pod is not running, as "pod NAME: REASON: MESSAGE",
// or "" when it is running and Ready, or is being deleted. In order of
// preference: the pod failed (e.g. Evicted); it cannot be scheduled
// (PodScheduled=False, e.g. Unschedulable with the scheduler's message); a
// container, init containers first, is waiting for a reason other than
// starting (CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError,
// ...) or has terminated with an error; a container is still starting; the
// pod is not Ready.
func PodReason(pod *corev1.Pod) string {
	if pod.DeletionTimestamp != nil {
		return ""
	}
	prefix := "pod " + pod.Name + ": "
	if pod.Status.Phase == corev1.PodFailed {
		return prefix + join(cmp.Or(pod.Status.Reason, "Failed"), pod.Status.Message)
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return prefix + join(cmp.Or(c.Reason, "NotScheduled"), c.Message)
		}
	}
	if pod.Status.Phase == corev1.PodSucceeded {
		return ""
	}
	statuses := slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses)
	starting := ""
	for _, cs := range statuses {
		switch {
		case cs.State.Waiting != nil && benignWaiting[cs.State.Waiting.Reason]:
			if starting == "" {
				starting = prefix + "container " + cs.Name + ": " + cs.State.Waiting.Reason
			}
		case cs.State.Waiting != nil:
			return prefix + "container " + cs.Name + ": " + join(cmp.Or(cs.State.Waiting.Reason, "Waiting"), cs.State.Waiting.Message)
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			t := cs.State.Terminated
			return prefix + "container " + cs.Name + ": " + join(cmp.Or(t.Reason, "Terminated"), cmp.Or(t.Message, exitCode(t.ExitCode)))
		}
	}
	if starting != "" {
		return starting
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
			return prefix + join(cmp.Or(c.Reason, "NotReady"), c.Message)
		}
	}
	if pod.Status.Phase == corev1.PodPending {
		return prefix + join("Pending", pod.Status.Message)
	}
	return ""
}

// FirstPodReason returns the reason of the first pod, by name, that has one
// (see PodReason), or "" when every pod runs. The input is not modified.
func FirstPodReason(pods []corev1.Pod) string {
	idx := make([]int, len(pods))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(pods[a].Name, pods[b].Name) })
	for _, i := range idx {
		if r := PodReason(&pods[i]); r != "" {
			return r
		}
	}
	return ""
}

func join(reason, message string) string {
	if message == "" {
		return reason
	}
	return reason + ": " + message
}

func exitCode(code int32) string {
	return "exit code " + strconv.Itoa(int(code))
}
