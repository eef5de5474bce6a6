package health

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(name string, mutate func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{
		Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
	}}
	if mutate != nil {
		mutate(&p)
	}
	return p
}

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

func TestPodReason(t *testing.T) {
	tests := []struct {
		name string
		pod  corev1.Pod
		want string
	}{
		{"running and ready", pod("p", nil), ""},
		{"unschedulable", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses = nil
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
				Reason: "Unschedulable", Message: "0/1 nodes are available: 1 Insufficient cpu."}}
		}), "pod p: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."},
		{"crash loop", pod("p", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State = waiting("CrashLoopBackOff", "back-off 40s restarting failed container")
		}), "pod p: container app: CrashLoopBackOff: back-off 40s restarting failed container"},
		{"init container image pull beats main container", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init", State: waiting("ImagePullBackOff", "")}}
			p.Status.ContainerStatuses[0].State = waiting("PodInitializing", "")
		}), "pod p: container init: ImagePullBackOff"},
		{"starting container is reported when nothing else is", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses[0].State = waiting("ContainerCreating", "")
		}), "pod p: container app: ContainerCreating"},
		{"terminated with error", pod("p", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2}}
		}), "pod p: container app: Error: exit code 2"},
		{"evicted", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: memory."
		}), "pod p: Evicted: The node was low on resource: memory."},
		{"not ready", pod("p", func(p *corev1.Pod) {
			p.Status.Conditions[1] = corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse,
				Reason: "ContainersNotReady", Message: "containers with unready status: [app]"}
		}), "pod p: ContainersNotReady: containers with unready status: [app]"},
		{"pending without conditions", pod("p", func(p *corev1.Pod) {
			p.Status = corev1.PodStatus{Phase: corev1.PodPending}
		}), "pod p: Pending"},
		{"being deleted says nothing", pod("p", func(p *corev1.Pod) {
			p.DeletionTimestamp = &metav1.Time{}
			p.Status.Phase = corev1.PodFailed
		}), ""},
		{"succeeded says nothing", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}
			p.Status.Conditions[1].Status = corev1.ConditionFalse
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PodReason(&tt.pod); got != tt.want {
				t.Errorf("PodReason() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstPodReason(t *testing.T) {
	bad := func(p *corev1.Pod) { p.Status.ContainerStatuses[0].State = waiting("CrashLoopBackOff", "") }
	pods := []corev1.Pod{pod("c", bad), pod("a", nil), pod("b", bad)}
	if got, want := FirstPodReason(pods), "pod b: container app: CrashLoopBackOff"; got != want {
		t.Errorf("FirstPodReason() = %q, want %q", got, want)
	}
	if pods[0].Name != "c" {
		t.Error("FirstPodReason reordered its input")
	}
	if got := FirstPodReason([]corev1.Pod{pod("a", nil)}); got != "" {
		t.Errorf("healthy pods: %q", got)
	}
	if got := FirstPodReason(nil); got != "" {
		t.Errorf("no pods: %q", got)
	}
}
