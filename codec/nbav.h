// nbav.h: the per-frame C fast path of package codec. go-astiav sets codecs up; these
// helpers run one frame through send/receive and copy planes and packets between FFmpeg
// and Go memory in a single cgo call, so the hot path allocates nothing on the Go heap.
// Go pointers passed in are used only for the duration of the call and never kept.
#ifndef NAHBAR_CODEC_NBAV_H
#define NAHBAR_CODEC_NBAV_H

#include <stdint.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

// nb_frame_result describes what a decode call produced.
typedef struct {
	int ret;     // < 0: AVERROR; 0: nothing produced yet; 1: a frame (or samples) produced
	int width;   // video: decoded width
	int height;  // video: decoded height
	int format;  // video: AVPixelFormat; audio: number of samples written
	int corrupt; // video: the decoder concealed errors in this frame
} nb_frame_result;

// nb_packet_result describes what an encode call produced.
typedef struct {
	int ret;     // < 0: AVERROR; 0: no packet; 1: a packet
	int size;    // packet size in bytes
	int key;     // 1 if the packet is a keyframe
	int copied;  // 1 if the packet was copied into dst (it fitted), 0 if still held in pkt
} nb_packet_result;

nb_frame_result nb_decode_video(AVCodecContext *cc, AVPacket *pkt, AVFrame *out, AVFrame *tmp,
	const uint8_t *data, int size, int no_reorder, int restart);
int nb_frame_copy_yuv420(const AVFrame *f, uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs);
int nb_frame_scale_yuv420(struct SwsContext *c, const AVFrame *f,
	uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs);

nb_packet_result nb_encode_video(AVCodecContext *cc, AVFrame *f, AVPacket *pkt,
	const uint8_t *y, int ys, const uint8_t *u, const uint8_t *v, int cs,
	int64_t pts, int key, uint8_t *dst, int cap);
int nb_packet_take(AVPacket *pkt, uint8_t *dst, int cap);

nb_frame_result nb_decode_audio(AVCodecContext *cc, AVPacket *pkt, AVFrame *f,
	const uint8_t *data, int size, int16_t *pcm, int cap);
nb_packet_result nb_encode_audio(AVCodecContext *cc, AVFrame *f, AVPacket *pkt,
	const int16_t *pcm, int n, int64_t pts, uint8_t *dst, int cap);

int nb_scale_yuv420(struct SwsContext *c,
	const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sh,
	uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs);

// nb_plane gives Go a view of one plane of an AVFrame (data pointer and line size).
typedef struct {
	uint8_t *data;
	int linesize;
} nb_plane;
nb_plane nb_frame_plane(const AVFrame *f, int i);
int nb_frame_make_writable(AVFrame *f);

#endif
