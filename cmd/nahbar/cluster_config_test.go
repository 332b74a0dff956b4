package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseClusterConfig(t *testing.T) {
	const key = "0123456789abcdef0123"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want clusterConfig
	}{
		{"single node by default", nil, nil, clusterConfig{}},
		{"env", nil, map[string]string{"NAHBAR_REDIS_URL": "redis://r:6379/1", "NAHBAR_NODE_ID": "n7",
			"NAHBAR_NODE_URL": "http://n7:8080", "NAHBAR_REGION": "dc2", "NAHBAR_CAPACITY_UNITS": "40",
			"NAHBAR_PLANNED_UNITS": "20", "NAHBAR_HEARTBEAT_INTERVAL": "500ms", "NAHBAR_HEARTBEAT_TTL": "2s",
			"NAHBAR_DRAIN_TIMEOUT": "30m", "NAHBAR_REDIS_PREFIX": "x"},
			clusterConfig{RedisURL: "redis://r:6379/1", RedisPrefix: "x", NodeID: "n7", NodeURL: "http://n7:8080",
				Region: "dc2", CapacityUnits: 40, PlannedUnits: 20, HeartbeatInterval: 500 * time.Millisecond,
				HeartbeatTTL: 2 * time.Second, DrainTimeout: 30 * time.Minute}},
		{"flags beat env", []string{"--redis-url", "redis://a:1/0", "--node-id", "f", "--capacity-units", "3"},
			map[string]string{"NAHBAR_REDIS_URL": "redis://r:6379/1", "NAHBAR_NODE_ID": "e"},
			clusterConfig{RedisURL: "redis://a:1/0", NodeID: "f", CapacityUnits: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"NAHBAR_API_KEY": key}
			for k, v := range tt.env {
				env[k] = v
			}
			got, err := parseServeConfig(tt.args, envOf(env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cluster != tt.want {
				t.Errorf("got  %+v\nwant %+v", got.Cluster, tt.want)
			}
		})
	}
}

func TestParseClusterConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--redis-url", "http://r"}, "redis URL"},
		{[]string{"--redis-url", "redis://r", "--node-id", "a b"}, "node id"},
		{[]string{"--redis-url", "redis://r", "--node-url", "ftp://x"}, "node URL"},
		{[]string{"--capacity-units", "-1"}, "must not be negative"},
		{[]string{"--heartbeat-interval", "2s", "--heartbeat-ttl", "3s"}, "at least twice"},
		{[]string{"--drain-timeout", "-1s"}, "drain timeout"},
	}
	for _, tt := range tests {
		_, err := parseServeConfig(append(tt.args, "--api-key", "0123456789abcdef0123"), envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}

func TestClusterDefaults(t *testing.T) {
	c := clusterConfig{NodeID: "n1"}.withDefaults("0.0.0.0:8080")
	if c.RedisPrefix != "nahbar" || c.CapacityUnits != 20 || c.HeartbeatInterval != time.Second ||
		c.HeartbeatTTL != 3*time.Second || c.DrainTimeout != 2*time.Hour {
		t.Errorf("defaults: %+v", c)
	}
	if !strings.HasPrefix(c.NodeURL, "http://") || !strings.HasSuffix(c.NodeURL, ":8080") || strings.Contains(c.NodeURL, "0.0.0.0") {
		t.Errorf("node URL from a wildcard listen address: %q", c.NodeURL)
	}
	if got := (clusterConfig{HeartbeatInterval: 2 * time.Second}).withDefaults("").HeartbeatTTL; got != 6*time.Second {
		t.Errorf("TTL for a 2s interval = %v, want 6s", got)
	}
	if wsURL("https://n:1/") != "wss://n:1/ws/node" || wsURL("http://n:1") != "ws://n:1/ws/node" {
		t.Error("wsURL")
	}
}
