#include <string.h>
#include <libavutil/error.h>
#include <libavutil/samplefmt.h>
#include "nbav.h"

// copy_plane copies h rows of w bytes between buffers with different strides.
static void copy_plane(uint8_t *dst, int ds, const uint8_t *src, int ss, int w, int h) {
	if (ds == ss && ds == w) {
		memcpy(dst, src, (size_t)w * h);
		return;
	}
	for (int i = 0; i < h; i++) {
		memcpy(dst + (size_t)i * ds, src + (size_t)i * ss, w);
	}
}

// send_borrowed sends data as a non-refcounted packet: avcodec_send_packet copies it into a
// padded buffer of its own (av_packet_ref), so pkt never keeps the Go pointer.
static int send_borrowed(AVCodecContext *cc, AVPacket *pkt, const uint8_t *data, int size) {
	av_packet_unref(pkt);
	pkt->data = (uint8_t *)data;
	pkt->size = size;
	int ret = avcodec_send_packet(cc, pkt);
	pkt->data = NULL;
	pkt->size = 0;
	return ret;
}

nb_frame_result nb_decode_video(AVCodecContext *cc, AVPacket *pkt, AVFrame *out, AVFrame *tmp,
	const uint8_t *data, int size, int no_reorder, int restart) {
	nb_frame_result r = {0};
	if (restart) {
		// A keyframe replaces all decoder state anyway; flushing first also drops frames
		// that garbage before it left queued in the decoder's output delay.
		avcodec_flush_buffers(cc);
	}
	if (no_reorder) {
		// The H.264 decoder only ever raises its reorder depth (from an SPS or from
		// out-of-order POCs) and then holds that many frames back. WebRTC streams never
		// reorder, so one bad SPS would otherwise delay a source for the rest of the call.
		cc->has_b_frames = 0;
	}
	int ret = send_borrowed(cc, pkt, data, size);
	if (ret == AVERROR(EAGAIN)) {
		// A frame from the last packet is still queued: take it out, then send again.
		av_frame_unref(tmp);
		if (avcodec_receive_frame(cc, tmp) >= 0) {
			av_frame_unref(out);
			av_frame_move_ref(out, tmp);
			r.ret = 1;
		}
		ret = send_borrowed(cc, pkt, data, size);
	}
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	// Keep only the latest frame: the mixer shows the newest picture of each source.
	for (;;) {
		av_frame_unref(tmp);
		ret = avcodec_receive_frame(cc, tmp);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
			break;
		}
		if (ret < 0) {
			r.ret = ret;
			return r;
		}
		av_frame_unref(out);
		av_frame_move_ref(out, tmp);
		r.ret = 1;
	}
	if (r.ret == 1) {
		r.width = out->width;
		r.height = out->height;
		r.format = out->format;
		r.corrupt = (out->flags & AV_FRAME_FLAG_CORRUPT) != 0 || out->decode_error_flags != 0;
	}
	return r;
}

int nb_frame_copy_yuv420(const AVFrame *f, uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs) {
	int w = f->width, h = f->height;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	if (!f->data[0] || !f->data[1] || !f->data[2]) {
		return AVERROR(EINVAL);
	}
	copy_plane(y, ys, f->data[0], f->linesize[0], w, h);
	copy_plane(u, cs, f->data[1], f->linesize[1], cw, ch);
	copy_plane(v, cs, f->data[2], f->linesize[2], cw, ch);
	return 0;
}

int nb_frame_scale_yuv420(struct SwsContext *c, const AVFrame *f,
	uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs) {
	uint8_t *dst[4] = {y, u, v, NULL};
	int dstStride[4] = {ys, cs, cs, 0};
	return sws_scale(c, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dstStride);
}

// take copies the packet into dst when it fits and then releases it.
static void take(AVPacket *pkt, uint8_t *dst, int cap, nb_packet_result *r) {
	r->ret = 1;
	r->size = pkt->size;
	r->key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
	if (pkt->size <= cap) {
		if (pkt->size > 0) {
			memcpy(dst, pkt->data, pkt->size);
		}
		r->copied = 1;
		av_packet_unref(pkt);
	}
}

nb_packet_result nb_encode_video(AVCodecContext *cc, AVFrame *f, AVPacket *pkt,
	const uint8_t *y, int ys, const uint8_t *u, const uint8_t *v, int cs,
	int64_t pts, int key, uint8_t *dst, int cap) {
	nb_packet_result r = {0};
	av_packet_unref(pkt);
	int ret = av_frame_make_writable(f);
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	int w = f->width, h = f->height;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	copy_plane(f->data[0], f->linesize[0], y, ys, w, h);
	copy_plane(f->data[1], f->linesize[1], u, cs, cw, ch);
	copy_plane(f->data[2], f->linesize[2], v, cs, cw, ch);
	f->pts = pts;
	f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	f->key_frame = key ? 1 : 0;
	ret = avcodec_send_frame(cc, f);
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	ret = avcodec_receive_packet(cc, pkt);
	if (ret == AVERROR(EAGAIN)) {
		return r;
	}
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	take(pkt, dst, cap, &r);
	return r;
}

int nb_packet_take(AVPacket *pkt, uint8_t *dst, int cap) {
	if (pkt->size > cap) {
		return AVERROR(ENOSPC);
	}
	int n = pkt->size;
	if (n > 0) {
		memcpy(dst, pkt->data, n);
	}
	av_packet_unref(pkt);
	return n;
}

static inline int16_t to_s16(float x) {
	float s = x * 32768.0f;
	if (s >= 32767.0f) return 32767;
	if (s <= -32768.0f) return -32768;
	return (int16_t)(s < 0 ? s - 0.5f : s + 0.5f);
}

// mix_to_mono appends f's samples to pcm as mono int16, averaging the channels.
static int mix_to_mono(const AVFrame *f, int16_t *pcm, int cap) {
	int n = f->nb_samples;
	int ch = f->ch_layout.nb_channels;
	if (ch < 1) ch = 1;
	if (n > cap) {
		return AVERROR(ENOSPC);
	}
	float inv = 1.0f / (float)ch;
	switch (f->format) {
	case AV_SAMPLE_FMT_FLTP:
		for (int i = 0; i < n; i++) {
			float s = 0;
			for (int c = 0; c < ch; c++) s += ((const float *)f->extended_data[c])[i];
			pcm[i] = to_s16(s * inv);
		}
		break;
	case AV_SAMPLE_FMT_FLT:
		for (int i = 0; i < n; i++) {
			float s = 0;
			for (int c = 0; c < ch; c++) s += ((const float *)f->data[0])[i * ch + c];
			pcm[i] = to_s16(s * inv);
		}
		break;
	case AV_SAMPLE_FMT_S16P:
		for (int i = 0; i < n; i++) {
			int s = 0;
			for (int c = 0; c < ch; c++) s += ((const int16_t *)f->extended_data[c])[i];
			pcm[i] = (int16_t)(s / ch);
		}
		break;
	case AV_SAMPLE_FMT_S16:
		for (int i = 0; i < n; i++) {
			int s = 0;
			for (int c = 0; c < ch; c++) s += ((const int16_t *)f->data[0])[i * ch + c];
			pcm[i] = (int16_t)(s / ch);
		}
		break;
	default:
		return AVERROR(ENOSYS);
	}
	return n;
}

nb_frame_result nb_decode_audio(AVCodecContext *cc, AVPacket *pkt, AVFrame *f,
	const uint8_t *data, int size, int16_t *pcm, int cap) {
	nb_frame_result r = {0};
	int ret = send_borrowed(cc, pkt, data, size);
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	int total = 0;
	for (;;) {
		av_frame_unref(f);
		ret = avcodec_receive_frame(cc, f);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
			break;
		}
		if (ret < 0) {
			r.ret = ret;
			return r;
		}
		int n = mix_to_mono(f, pcm + total, cap - total);
		av_frame_unref(f);
		if (n < 0) {
			r.ret = n;
			return r;
		}
		total += n;
		r.ret = 1;
	}
	r.format = total;
	return r;
}

nb_packet_result nb_encode_audio(AVCodecContext *cc, AVFrame *f, AVPacket *pkt,
	const int16_t *pcm, int n, int64_t pts, uint8_t *dst, int cap) {
	nb_packet_result r = {0};
	av_packet_unref(pkt);
	int ret = av_frame_make_writable(f);
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	if (n != f->nb_samples) {
		r.ret = AVERROR(EINVAL);
		return r;
	}
	memcpy(f->data[0], pcm, (size_t)n * sizeof(int16_t));
	f->pts = pts;
	ret = avcodec_send_frame(cc, f);
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	ret = avcodec_receive_packet(cc, pkt);
	if (ret == AVERROR(EAGAIN)) {
		return r;
	}
	if (ret < 0) {
		r.ret = ret;
		return r;
	}
	take(pkt, dst, cap, &r);
	return r;
}

int nb_scale_yuv420(struct SwsContext *c,
	const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sh,
	uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs) {
	const uint8_t *src[4] = {sy, su, sv, NULL};
	int srcStride[4] = {sys, scs, scs, 0};
	uint8_t *dst[4] = {dy, du, dv, NULL};
	int dstStride[4] = {dys, dcs, dcs, 0};
	return sws_scale(c, src, srcStride, 0, sh, dst, dstStride);
}

nb_plane nb_frame_plane(const AVFrame *f, int i) {
	nb_plane p = {0};
	if (i >= 0 && i < AV_NUM_DATA_POINTERS) {
		p.data = f->data[i];
		p.linesize = f->linesize[i];
	}
	return p;
}

int nb_frame_make_writable(AVFrame *f) {
	return av_frame_make_writable(f);
}
