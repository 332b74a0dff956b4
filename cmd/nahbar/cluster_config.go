package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// clusterConfig is how a node joins a cluster. Without a Redis URL the node
// runs alone with the in-process router (the default for a small office).
type clusterConfig struct {
	RedisURL          string        // NAHBAR_REDIS_URL, e.g. redis://redis:6379/0; empty: single node
	RedisPrefix       string        // NAHBAR_REDIS_PREFIX, key prefix shared by the cluster's nodes
	NodeID            string        // NAHBAR_NODE_ID, default the host name
	NodeURL           string        // NAHBAR_NODE_URL, where other nodes reach this one; default http://<host name>:<port>
	Region            string        // NAHBAR_REGION, data-centre label
	CapacityUnits     int           // NAHBAR_CAPACITY_UNITS, concurrent appointments this node can host
	PlannedUnits      int           // NAHBAR_PLANNED_UNITS, units of planned nodes counted for booking
	HeartbeatInterval time.Duration // NAHBAR_HEARTBEAT_INTERVAL, default 1s
	HeartbeatTTL      time.Duration // NAHBAR_HEARTBEAT_TTL, default 3s: a silent node is gone after it
	DrainTimeout      time.Duration // NAHBAR_DRAIN_TIMEOUT, how long a drain waits for calls to end
}

// Defaults of the zero values, applied by withDefaults when the node starts.
const (
	defaultRedisPrefix       = "nahbar"
	defaultCapacityUnits     = 20
	defaultHeartbeatInterval = time.Second
	defaultHeartbeatTTL      = 3 * time.Second
	defaultDrainTimeout      = 2 * time.Hour
)

// withDefaults fills unset values; node id and URL come from the host name
// and the listen address.
func (c clusterConfig) withDefaults(listen string) clusterConfig {
	if c.RedisPrefix == "" {
		c.RedisPrefix = defaultRedisPrefix
	}
	if c.CapacityUnits == 0 {
		c.CapacityUnits = defaultCapacityUnits
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = defaultHeartbeatInterval
	}
	if c.HeartbeatTTL == 0 {
		c.HeartbeatTTL = max(defaultHeartbeatTTL, 3*c.HeartbeatInterval)
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = defaultDrainTimeout
	}
	host, _ := os.Hostname()
	if c.NodeID == "" {
		c.NodeID = host
	}
	if c.NodeID == "" {
		c.NodeID = "local"
	}
	if c.NodeURL == "" {
		if h, port, err := net.SplitHostPort(listen); err == nil {
			if h == "" || h == "0.0.0.0" || h == "::" {
				h = host
			}
			c.NodeURL = "http://" + net.JoinHostPort(h, port)
		}
	}
	return c
}

// register reads the NAHBAR_* variables and declares the flags (a flag wins).
func (c *clusterConfig) register(fs *flag.FlagSet, env envReader) {
	env.str(&c.RedisPrefix, "NAHBAR_REDIS_PREFIX")
	env.str(&c.NodeID, "NAHBAR_NODE_ID")
	env.str(&c.NodeURL, "NAHBAR_NODE_URL")
	env.str(&c.Region, "NAHBAR_REGION")
	env.integer(&c.CapacityUnits, "NAHBAR_CAPACITY_UNITS")
	env.integer(&c.PlannedUnits, "NAHBAR_PLANNED_UNITS")
	env.duration(&c.HeartbeatInterval, "NAHBAR_HEARTBEAT_INTERVAL")
	env.duration(&c.HeartbeatTTL, "NAHBAR_HEARTBEAT_TTL")
	env.duration(&c.DrainTimeout, "NAHBAR_DRAIN_TIMEOUT")
	// The URL's flag shows no default: it may carry a password.
	fs.StringVar(&c.RedisURL, "redis-url", "", "Redis `URL` of the cluster, e.g. redis://redis:6379/0; empty: a single node (NAHBAR_REDIS_URL)")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", c.RedisPrefix, "Redis key `prefix` shared by the nodes of one cluster; empty: nahbar (NAHBAR_REDIS_PREFIX)")
	fs.StringVar(&c.NodeID, "node-id", c.NodeID, "this node's unique `id` in the cluster; default the host name (NAHBAR_NODE_ID)")
	fs.StringVar(&c.NodeURL, "node-url", c.NodeURL, "`URL` other nodes reach this node's HTTP server at; default http://<host name>:<listen port> (NAHBAR_NODE_URL)")
	fs.StringVar(&c.Region, "region", c.Region, "data-centre `label`; rooms prefer nodes of the joining user's region (NAHBAR_REGION)")
	fs.IntVar(&c.CapacityUnits, "capacity-units", c.CapacityUnits, "concurrent appointments (media `units`) this node hosts; 0: 20 (NAHBAR_CAPACITY_UNITS)")
	fs.IntVar(&c.PlannedUnits, "planned-units", c.PlannedUnits, "`units` of planned nodes the booking calendar may count on (NAHBAR_PLANNED_UNITS)")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", c.HeartbeatInterval, "how often the node tells the cluster it is alive; 0: 1s (NAHBAR_HEARTBEAT_INTERVAL)")
	fs.DurationVar(&c.HeartbeatTTL, "heartbeat-ttl", c.HeartbeatTTL, "a node silent this long is gone and its rooms move; 0: 3s (NAHBAR_HEARTBEAT_TTL)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "a draining node exits when its calls end or after this `duration`; 0: 2h (NAHBAR_DRAIN_TIMEOUT)")
}

// finish reads the Redis URL's variable late, so -h never prints it.
func (c *clusterConfig) finish(getenv func(string) string) {
	if c.RedisURL == "" {
		c.RedisURL = getenv("NAHBAR_REDIS_URL")
	}
}

func (c *clusterConfig) check() []error {
	var errs []error
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, errors.New("redis URL: want redis://[user:password@]host:port/db or rediss://…"))
		}
		if strings.ContainsAny(c.NodeID, ": \t") {
			errs = append(errs, fmt.Errorf("node id %q: want a non-empty id without spaces or colons", c.NodeID))
		}
		if c.NodeURL != "" {
			if u, err := url.Parse(c.NodeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("node URL %q: want http(s)://host:port", c.NodeURL))
			}
		}
	}
	if c.CapacityUnits < 0 || c.PlannedUnits < 0 {
		errs = append(errs, fmt.Errorf("capacity units %d and planned units %d must not be negative", c.CapacityUnits, c.PlannedUnits))
	}
	if d := c.withDefaults(""); d.HeartbeatInterval < 0 || d.HeartbeatTTL < 2*d.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("heartbeat TTL %v must be at least twice the interval %v", d.HeartbeatTTL, d.HeartbeatInterval))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("drain timeout %v must be positive", c.DrainTimeout))
	}
	return errs
}
