package codec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/asticode/go-astiav"
)

// option is one FFmpeg codec option (generic AVCodecContext or the codec's private ones).
type option struct{ key, value string }

// openCodec opens cc with opts and fails if FFmpeg did not consume every option. FFmpeg
// silently ignores an unknown key and hands it back in the dictionary; a misspelt
// "lag-in-frames" would otherwise quietly give a high-latency encoder.
func openCodec(cc *astiav.CodecContext, c *astiav.Codec, opts []option) error {
	d := astiav.NewDictionary()
	defer d.Free()
	for _, o := range opts {
		if err := d.Set(o.key, o.value, 0); err != nil {
			return fmt.Errorf("set option %s=%s: %w", o.key, o.value, err)
		}
	}
	if err := cc.Open(c, d); err != nil {
		return fmt.Errorf("open %s with %s: %w", c.Name(), formatOptions(opts), err)
	}
	if left := leftoverKeys(d); len(left) > 0 {
		return fmt.Errorf("open %s: options not recognised by the codec: %s", c.Name(), strings.Join(left, ", "))
	}
	return nil
}

// leftoverKeys lists the keys still in d after Open, sorted.
func leftoverKeys(d *astiav.Dictionary) []string {
	var keys []string
	flags := astiav.NewDictionaryFlags(astiav.DictionaryFlagIgnoreSuffix)
	for e := d.Get("", nil, flags); e != nil; e = d.Get("", e, flags) {
		keys = append(keys, e.Key())
	}
	sort.Strings(keys)
	return keys
}

func formatOptions(opts []option) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = o.key + "=" + o.value
	}
	return strings.Join(parts, " ")
}
