//go:build !race

package rooms_test

const raceDetector = false
