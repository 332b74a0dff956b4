package rooms

import "testing"

// A device check's test call is no appointment: it stays out of the call
// statistics, but a real call with a test-call participant in it would not.
func TestOnlySelfTest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		roles map[Role]int
		want  bool
	}{
		{"test call", map[Role]int{RoleSelfTest: 1}, true},
		{"test call pressed twice", map[Role]int{RoleSelfTest: 2}, true},
		{"appointment", map[Role]int{RoleAdvisor: 1, RoleCitizen: 1}, false},
		{"mixed", map[Role]int{RoleSelfTest: 1, RoleAdvisor: 1}, false},
		{"nobody", map[Role]int{}, false},
	} {
		if got := onlySelfTest(CallSummary{Participants: tc.roles}); got != tc.want {
			t.Errorf("%s: onlySelfTest = %v, want %v", tc.name, got, tc.want)
		}
	}
}
