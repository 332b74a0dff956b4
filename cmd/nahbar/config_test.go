package main

import (
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestParseServeConfig(t *testing.T) {
	const key = "0123456789abcdef0123"
	withKey := func(c serveConfig) serveConfig { c.APIKey = key; return c }
	def := defaultServeConfig()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want serveConfig
	}{
		{"defaults with key", nil, map[string]string{"NAHBAR_API_KEY": key}, withKey(def)},
		{"demo needs no key", []string{"--demo"}, nil, func() serveConfig { c := def; c.Demo = true; return c }()},
		{"env", nil, map[string]string{
			"NAHBAR_API_KEY": key, "NAHBAR_LISTEN": ":9000", "NAHBAR_PUBLIC_URL": "https://termine.example.org",
			"NAHBAR_PUBLIC_IP": "203.0.113.7, 2001:db8::1", "NAHBAR_UDP_PORT": "3478", "NAHBAR_DATA_DIR": "/var/lib/nahbar",
			"NAHBAR_LOG_LEVEL": "debug", "NAHBAR_AUDIO_PROCESSING": "false", "NAHBAR_SHUTDOWN_TIMEOUT": "3s",
			"NAHBAR_DATABASE_URL": "host=db user=nahbar", "NAHBAR_SMTP_HOST": "mail.example.org", "NAHBAR_SMTP_PORT": "25",
			"NAHBAR_SMTP_USER": "termine", "NAHBAR_SMTP_PASSWORD": "pw", "NAHBAR_SMTP_FROM": "termine@example.org",
			"NAHBAR_RETENTION_DAYS": "90",
		}, serveConfig{
			Listen: ":9000", PublicURL: "https://termine.example.org", PublicIPs: []string{"203.0.113.7", "2001:db8::1"},
			UDPPort: 3478, DataDir: "/var/lib/nahbar", APIKey: key, LogLevel: slog.LevelDebug,
			DatabaseURL:     "host=db user=nahbar",
			SMTP:            smtpConfig{Host: "mail.example.org", Port: 25, User: "termine", Password: "pw", From: "termine@example.org"},
			AudioProcessing: false, ShutdownTimeout: 3 * time.Second, RetentionDays: 90,
		}},
		{"flag beats env", []string{"--listen", "127.0.0.1:0", "--udp-port=0", "--log-level", "warn"},
			map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_LISTEN": ":9000", "NAHBAR_UDP_PORT": "9"},
			func() serveConfig {
				c := withKey(def)
				c.Listen, c.UDPPort, c.LogLevel = "127.0.0.1:0", 0, slog.LevelWarn
				return c
			}()},
		{"port range replaces default port", nil,
			map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_UDP_PORT_MIN": "50000", "NAHBAR_UDP_PORT_MAX": "50100"},
			func() serveConfig {
				c := withKey(def)
				c.UDPPort, c.UDPPortMin, c.UDPPortMax = 0, 50000, 50100
				return c
			}()},
		{"serve subcommand flags", []string{"--api-key", key}, nil, withKey(def)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServeConfig(tt.args, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseServeConfigErrors(t *testing.T) {
	const key = "0123456789abcdef0123"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no key", nil, nil, "NAHBAR_API_KEY is required"},
		{"short key", nil, map[string]string{"NAHBAR_API_KEY": "short"}, "at least 16"},
		{"no retention", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_RETENTION_DAYS": "0"}, "retention of 0 days"},
		{"bad port env", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_UDP_PORT": "abc"}, `NAHBAR_UDP_PORT="abc"`},
		{"port out of range", []string{"--udp-port", "70000"}, map[string]string{"NAHBAR_API_KEY": key}, "out of range"},
		{"port and range", []string{"--udp-port", "8443", "--udp-port-min", "1000", "--udp-port-max", "2000"},
			map[string]string{"NAHBAR_API_KEY": key}, "not both"},
		{"half range", []string{"--udp-port-min", "1000"}, map[string]string{"NAHBAR_API_KEY": key}, "min <= max"},
		{"inverted range", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_UDP_PORT_MIN": "9", "NAHBAR_UDP_PORT_MAX": "8"}, "min <= max"},
		{"bad listen", []string{"--listen", "8080"}, map[string]string{"NAHBAR_API_KEY": key}, "listen address"},
		{"bad public url", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_PUBLIC_URL": "termine.example.org"}, "public URL"},
		{"bad public ip", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_PUBLIC_IP": "1.2.3.4,nope"}, `"nope" is not an IP`},
		{"bad level", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_LOG_LEVEL": "loud"}, "log level"},
		{"bad bool", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_DEMO": "ja"}, "NAHBAR_DEMO"},
		{"bad duration", nil, map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_SHUTDOWN_TIMEOUT": "10"}, "NAHBAR_SHUTDOWN_TIMEOUT"},
		{"unknown flag", []string{"--nope"}, map[string]string{"NAHBAR_API_KEY": key}, "not defined"},
		{"stray argument", []string{"extra"}, map[string]string{"NAHBAR_API_KEY": key}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseServeConfig(tt.args, envOf(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHelpNeverPrintsAPIKey(t *testing.T) {
	var out strings.Builder
	_, err := parseServeConfig([]string{"-h"}, envOf(map[string]string{"NAHBAR_API_KEY": "very-secret-key-123456"}), &out)
	if err != errHelp {
		t.Fatalf("err %v, want errHelp", err)
	}
	if strings.Contains(out.String(), "very-secret") {
		t.Errorf("help output shows the API key:\n%s", out.String())
	}
}
