package testpeer

import "testing"

func TestSeqGaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint16
		want uint64
	}{
		{"in order", []uint16{1, 2, 3, 4}, 0},
		{"one lost", []uint16{1, 2, 4}, 1},
		{"wrap", []uint16{65534, 65535, 0, 2}, 1},
		{"late packet", []uint16{1, 3, 2, 4}, 1},
		{"repeat", []uint16{5, 5, 6}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s seqGaps
			var lost uint64
			for _, q := range tc.seqs {
				lost += s.next(q)
			}
			if lost != tc.want {
				t.Fatalf("lost %d, want %d", lost, tc.want)
			}
		})
	}
}
