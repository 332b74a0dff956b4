// Package web is nahbar's HTTP face: the join page a citizen opens from an
// invitation link, the small bearer-key JSON API that booking systems call to
// create rooms and invitations, and the WebSocket endpoint that hands
// signalling over to the rooms package.
//
// Everything the browser loads is embedded in the binary, served with a strict
// Content-Security-Policy, and needs no build step.
package web
