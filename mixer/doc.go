// Package mixer is the MCU's composition core: decoded pictures and 48 kHz mono PCM go in,
// encoded frames come out, once per (view, tier) for video and once per view for audio.
//
// A view is what a receiver sees and hears: "all-but:<id>" for a publisher (everyone except
// themselves; the page shows the local camera itself) and "all" for receive-only attendees.
// Receivers of the same (view, tier) share one encoder, so a room costs a handful of encodes
// however many people watch it.
//
// The mixer runs on its own clocks. Sources publish into lock-free triple buffers and jitter
// rings and never wait; each video tick takes whatever latest picture every source has,
// scales each source once per cell size, composes one canvas per subscribed (view, tier) and
// hands it to that encoder's goroutine without waiting (a busy encoder skips the tick). Each
// 20 ms audio tick sums all sources once, derives every view by subtracting its publisher,
// limits it and hands it to that view's Opus encoder. It never touches a network type: the
// rooms package adapts pion to VideoOutput and AudioOutput.
package mixer
